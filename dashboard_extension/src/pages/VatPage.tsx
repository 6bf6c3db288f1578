import { actions, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Button, Chip, Text, useTheme } from "@saleor/macaw-ui";
import { useCallback, useEffect, useState } from "react";

import { appBridge } from "../appBridge";
import { graphql } from "../graphql";
import { type VatMessages, useVatMessages } from "../i18n.vat";

interface ShopRate {
  countryCode: string;
  rate: string;
  taxClassId: string | null;
  taxClassName: string | null;
}

interface BexioTax {
  id: number;
  code: string;
  name: string;
  label: string;
  percentage: string;
}

interface VatIssue {
  kind: string;
  message: string;
  shopRate: ShopRate | null;
}

interface VatRow {
  shopRate: ShopRate;
  bexioTax: BexioTax | null;
  source: string | null;
  suggestion: BexioTax | null;
  problem: VatIssue | null;
}

interface Mapping {
  version?: number;
  by_class_id?: Record<string, number>;
  by_class_name?: Record<string, number>;
  by_rate?: Record<string, number>;
  exempt_tax_id?: number | null;
}

interface Overview {
  __typename: "VatOverview";
  rows: VatRow[];
  bexioTaxes: BexioTax[];
  mapping: Mapping;
  problems: VatIssue[];
  ok: boolean;
}

interface Unavailable {
  __typename: "BexioNotConnected" | "BexioUnavailable";
  message: string;
}

type OverviewResult = Overview | Unavailable;

const TAX_FIELDS = "id code name label percentage";
const RATE_FIELDS = "countryCode rate taxClassId taxClassName";
const QUERY = `
  query VatPage {
    vatOverview {
      __typename
      ... on VatOverview {
        ok
        mapping
        rows {
          shopRate { ${RATE_FIELDS} }
          bexioTax { ${TAX_FIELDS} }
          source
          suggestion { ${TAX_FIELDS} }
          problem { kind message }
        }
        bexioTaxes { ${TAX_FIELDS} }
        problems { kind message shopRate { ${RATE_FIELDS} } }
      }
      ... on BexioNotConnected { message }
      ... on BexioUnavailable { message }
    }
  }
`;
const SAVE = `mutation SaveVat($json: JSON!) {
  saveVatMapping(json: $json) {
    __typename
    ... on VatMappingInvalid { message }
  }
}`;

function notify(status: "success" | "error" | "info", title: string, text?: string) {
  void appBridge.dispatch(actions.Notification({ status, title, text })).catch(() => undefined);
}

function rowKey(rate: ShopRate): string {
  return `${rate.countryCode}|${rate.taxClassId ?? ""}|${rate.rate}`;
}

function percent(value: string): string {
  return `${value} %`;
}

/** The mapping with one row's choice applied: a class entry stays one, all else is by rate. */
function applyChoice(mapping: Mapping, row: VatRow, taxId: number): Mapping {
  const next: Mapping = {
    ...mapping,
    by_class_id: { ...(mapping.by_class_id ?? {}) },
    by_class_name: { ...(mapping.by_class_name ?? {}) },
    by_rate: { ...(mapping.by_rate ?? {}) },
  };
  const { taxClassId, taxClassName, rate } = row.shopRate;
  if (row.source === "class_id" && taxClassId) {
    next.by_class_id![taxClassId] = taxId;
    return next;
  }
  if (row.source === "class_name" && taxClassName) {
    const key =
      Object.keys(next.by_class_name!).find(
        (name) => name.trim().toLowerCase() === taxClassName.trim().toLowerCase(),
      ) ?? taxClassName;
    next.by_class_name![key] = taxId;
    return next;
  }
  for (const key of Object.keys(next.by_rate!)) {
    if (Number(key) === Number(rate)) {
      delete next.by_rate![key];
    }
  }
  next.by_rate![rate] = taxId;
  return next;
}

const CELL = { paddingY: 2, paddingX: 3 } as const;

const SELECT_STYLE = {
  font: "inherit",
  color: "inherit",
  background: "transparent",
  padding: "4px 6px",
  borderRadius: 4,
  border: "1px solid currentColor",
  maxWidth: 280,
} as const;

function TaxSelect(props: {
  taxes: BexioTax[];
  value: number | null;
  placeholder: string;
  testId: string;
  onChange: (taxId: number | null) => void;
}) {
  const { taxes, value, placeholder, testId, onChange } = props;
  // The native option list follows the page's light/dark theme.
  const { theme } = useTheme();
  const colorScheme = theme === "defaultDark" ? "dark" : "light";
  const known = value !== null && taxes.some((tax) => tax.id === value);
  return (
    <select
      data-testid={testId}
      value={known ? String(value) : ""}
      style={{ ...SELECT_STYLE, colorScheme }}
      onChange={(event) => onChange(event.target.value === "" ? null : Number(event.target.value))}
    >
      <option value="">{placeholder}</option>
      {taxes.map((tax) => (
        <option key={tax.id} value={tax.id}>
          {tax.label}
        </option>
      ))}
    </select>
  );
}

function RateRow(props: {
  row: VatRow;
  taxes: BexioTax[];
  choice: number | undefined;
  v: VatMessages;
  onChoose: (taxId: number | null) => void;
}) {
  const { row, taxes, choice, v, onChoose } = props;
  const bad = row.problem !== null;
  const current = choice ?? row.bexioTax?.id ?? null;
  return (
    <Box
      as="tr"
      data-testid="vat-row"
      data-rate={row.shopRate.rate}
      data-tax-class={row.shopRate.taxClassName ?? ""}
      data-status={bad ? "problem" : "ok"}
      backgroundColor={bad ? "default2" : undefined}
      style={bad ? { boxShadow: "inset 4px 0 0 0 #d92d20" } : undefined}
      borderBottomStyle="solid"
      borderBottomWidth={1}
      borderColor="default1"
    >
      <Box as="td" {...CELL}>
        <Text>{row.shopRate.countryCode}</Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text>{row.shopRate.taxClassName ?? v.defaultRate}</Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text fontWeight="bold" whiteSpace="nowrap">
          {percent(row.shopRate.rate)}
        </Text>
      </Box>
      <Box as="td" {...CELL}>
        {row.bexioTax ? (
          <Text data-testid="vat-mapped">
            {row.bexioTax.label}{" "}
            <Text size={2} color="default2">
              ({v.sources[row.source ?? ""] ?? row.source})
            </Text>
          </Text>
        ) : (
          <Text data-testid="vat-mapped" color="critical1" fontWeight="bold">
            {v.notMapped}
          </Text>
        )}
      </Box>
      <Box as="td" {...CELL}>
        <TaxSelect
          taxes={taxes}
          value={current}
          placeholder={row.bexioTax ? v.keep : v.chooseTax}
          testId="vat-choice"
          onChange={onChoose}
        />
        {row.suggestion && choice === undefined ? (
          <Text as="p" size={2} color="default2">
            {v.suggestion(row.suggestion.label)}
          </Text>
        ) : null}
      </Box>
      <Box as="td" {...CELL}>
        {row.problem ? (
          <Box display="flex" flexDirection="column" alignItems="flex-start" gap={1}>
            <Chip data-testid="vat-problem-kind">
              {v.problemKinds[row.problem.kind] ?? row.problem.kind}
            </Chip>
            <Text size={2} data-testid="vat-problem">
              {row.problem.message}
            </Text>
          </Box>
        ) : null}
      </Box>
    </Box>
  );
}

function Editor(props: { overview: Overview; v: VatMessages; onSaved: () => Promise<void> }) {
  const { overview, v, onSaved } = props;
  const [choices, setChoices] = useState<Record<string, number>>({});
  const [exempt, setExempt] = useState<number | null>(overview.mapping.exempt_tax_id ?? null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    setChoices({});
    setExempt(overview.mapping.exempt_tax_id ?? null);
  }, [overview]);

  const save = async () => {
    let mapping: Mapping = { ...overview.mapping, exempt_tax_id: exempt };
    for (const row of overview.rows) {
      const choice = choices[rowKey(row.shopRate)];
      if (choice !== undefined) {
        mapping = applyChoice(mapping, row, choice);
      }
    }
    setBusy(true);
    try {
      const answer = await graphql<{ saveVatMapping: { __typename: string; message?: string } }>(
        SAVE,
        { json: mapping },
      );
      const result = answer.saveVatMapping;
      if (result.__typename === "VatMappingSaved") {
        setMessage({ ok: true, text: v.mappingSaved });
        notify("success", v.mappingSaved);
        await onSaved();
      } else if (result.__typename === "Forbidden") {
        setMessage({ ok: false, text: v.forbidden });
        notify("error", v.forbidden);
      } else {
        const text = `${v.mappingInvalid} ${result.message ?? ""}`;
        setMessage({ ok: false, text });
        notify("error", v.mappingInvalid, result.message);
      }
    } catch (error) {
      const text = `${v.mappingInvalid} ${error instanceof Error ? error.message : String(error)}`;
      setMessage({ ok: false, text });
    } finally {
      setBusy(false);
    }
  };

  const headers = [v.colCountry, v.colClass, v.colRate, v.colBexioTax, v.colMapTo, v.colProblem];
  return (
    <Box display="flex" flexDirection="column" gap={4}>
      {overview.rows.length === 0 ? (
        <Text as="p" color="default2">
          {v.noRates}
        </Text>
      ) : (
        <Box as="table" data-testid="vat-table" width="100%" style={{ borderCollapse: "collapse" }}>
          <thead>
            <Box as="tr" borderBottomStyle="solid" borderBottomWidth={1} borderColor="default1">
              {headers.map((header) => (
                <Box as="th" key={header} {...CELL} textAlign="left">
                  <Text size={2} fontWeight="bold" color="default2">
                    {header}
                  </Text>
                </Box>
              ))}
            </Box>
          </thead>
          <tbody>
            {overview.rows.map((row) => {
              const key = rowKey(row.shopRate);
              return (
                <RateRow
                  key={key}
                  row={row}
                  taxes={overview.bexioTaxes}
                  choice={choices[key]}
                  v={v}
                  onChoose={(taxId) =>
                    setChoices((previous) => {
                      const next = { ...previous };
                      if (taxId === null) {
                        delete next[key];
                      } else {
                        next[key] = taxId;
                      }
                      return next;
                    })
                  }
                />
              );
            })}
          </tbody>
        </Box>
      )}
      <Box display="flex" alignItems="center" gap={3} flexWrap="wrap">
        <Text>{v.exemptTax}</Text>
        <TaxSelect
          taxes={overview.bexioTaxes}
          value={exempt}
          placeholder={v.none}
          testId="vat-exempt"
          onChange={setExempt}
        />
      </Box>
      <Box display="flex" alignItems="center" gap={3}>
        <Button data-testid="vat-save" variant="primary" disabled={busy} onClick={() => void save()}>
          {v.saveMapping}
        </Button>
        {message ? (
          <Text data-testid="vat-save-result" color={message.ok ? "success1" : "critical1"}>
            {message.text}
          </Text>
        ) : null}
      </Box>
    </Box>
  );
}

function BexioTaxes({ taxes, v }: { taxes: BexioTax[]; v: VatMessages }) {
  return (
    <Box display="flex" flexDirection="column" gap={2} data-testid="bexio-taxes">
      <Text as="h2" size={7} fontWeight="bold">
        {v.bexioTaxesTitle}
      </Text>
      <Box display="flex" gap={2} flexWrap="wrap">
        {taxes.map((tax) => (
          <Chip key={tax.id} data-testid="bexio-tax" data-tax-id={tax.id}>
            {tax.label}
          </Chip>
        ))}
      </Box>
    </Box>
  );
}

/** The VAT tab: `/app/vat`. */
export function VatPage() {
  const { appBridgeState } = useAppBridge();
  const { language, v } = useVatMessages();
  const ready = Boolean(appBridgeState?.ready && appBridgeState.token);
  const [data, setData] = useState<OverviewResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const answer = await graphql<{ vatOverview: OverviewResult }>(QUERY);
      setData(answer.vatOverview);
      setFailure(null);
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    }
  }, []);

  useEffect(() => {
    if (ready) {
      void load();
    }
  }, [ready, load]);

  const unattached =
    data?.__typename === "VatOverview" ? data.problems.filter((p) => p.shopRate === null) : [];

  return (
    <Box display="flex" flexDirection="column" gap={4} data-testid="vat-page" data-language={language}>
      <Text as="h1" size={10} fontWeight="bold">
        {v.vatTitle}
      </Text>
      <Text as="p" color="default2">
        {v.vatIntro}
      </Text>
      {!ready || (data === null && failure === null) ? (
        <Text as="p" data-testid="vat-loading" color="default2">
          …
        </Text>
      ) : failure !== null ? (
        <Box display="flex" flexDirection="column" gap={2} data-testid="load-failed">
          <Text color="critical1">{failure}</Text>
          <Box>
            <Button variant="secondary" onClick={() => void load()}>
              ↻
            </Button>
          </Box>
        </Box>
      ) : data === null ? null : data.__typename !== "VatOverview" ? (
        <Text as="p" data-testid="vat-unavailable" color="critical1">
          {data.__typename === "BexioNotConnected" ? v.notConnected(data.message) : v.unavailable(data.message)}
        </Text>
      ) : (
        <>
          <Text
            as="p"
            data-testid="vat-summary"
            data-ok={data.ok ? "true" : "false"}
            color={data.ok ? "success1" : "critical1"}
            fontWeight="bold"
          >
            {data.ok ? v.vatOk : v.vatProblems(data.problems.length)}
          </Text>
          <Editor overview={data} v={v} onSaved={load} />
          {unattached.length > 0 ? (
            <Box display="flex" flexDirection="column" gap={1} data-testid="vat-other-problems">
              <Text fontWeight="bold">{v.otherProblems}</Text>
              {unattached.map((problem) => (
                <Text key={problem.message} color="critical1">
                  {problem.message}
                </Text>
              ))}
            </Box>
          ) : null}
          <BexioTaxes taxes={data.bexioTaxes} v={v} />
        </>
      )}
    </Box>
  );
}
