import { Box, Button, Text, vars } from "@saleor/macaw-ui";
import { type ReactNode, useCallback, useEffect, useState } from "react";

import { graphql } from "../graphql";
import { type SettingsMessages, useSettingsMessages } from "../i18n.settings";
import {
  Card,
  ChoiceSelect,
  errorText,
  Field,
  FIELD_STYLE,
  formValue,
  idValue,
  masterDataChoices,
  MasterDataNotice,
  PageFrame,
  type Problem,
  ProblemList,
  saveSettings,
  type SettingsJson,
  useMasterData,
  usePageData,
  useReady,
} from "./settingsCommon";

const QUERY = `query GeneralPage { settings { json } }`;

const NUMBERING = `query Numbering {
  bexioNumbering {
    __typename
    ... on BexioNumbering { bexioAutomatic appAutomatic matches problem }
    ... on BexioNotConnected { message }
    ... on BexioUnavailable { message }
  }
}`;

type NumberingResult =
  | { __typename: "BexioNumbering"; bexioAutomatic: boolean; appAutomatic: boolean; matches: boolean }
  | { __typename: "BexioNotConnected" | "BexioUnavailable"; message: string };

/** The bexio ids this page offers as dropdowns, in display order. */
const CHOICES: { key: string; label: keyof SettingsMessages }[] = [
  { key: "bexio_user_id", label: "bexioUser" },
  { key: "bank_account_id", label: "bankAccount" },
  { key: "payment_type_id", label: "paymentType" },
  { key: "language_id", label: "language" },
];

type Kind = "int" | "text" | "longtext" | "date";

const TEXTS: { key: string; kind: Kind; label: keyof SettingsMessages }[] = [
  { key: "invoice_title", kind: "text", label: "invoiceTitle" },
  { key: "email_subject", kind: "text", label: "emailSubject" },
  { key: "email_body", kind: "longtext", label: "emailBody" },
  { key: "document_nr_prefix", kind: "text", label: "numberPrefix" },
  { key: "sync_start_date", kind: "date", label: "syncStartDate" },
  { key: "pause_threshold", kind: "int", label: "pauseThreshold" },
];

type Form = Record<string, string>;

function toForm(json: SettingsJson): Form {
  return Object.fromEntries([...CHOICES, ...TEXTS].map(({ key }) => [key, formValue(json[key])]));
}

/** The form's values as settings JSON; a number field that is not a whole number stays text (the API names it). */
function fromForm(form: Form): SettingsJson {
  const changes: SettingsJson = {};
  for (const { key } of CHOICES) {
    changes[key] = idValue(form[key] ?? "");
  }
  for (const { key, kind } of TEXTS) {
    const raw = form[key] ?? "";
    const trimmed = raw.trim();
    if (kind === "date") {
      changes[key] = trimmed === "" ? null : trimmed;
    } else if (kind === "int") {
      changes[key] = /^-?\d+$/.test(trimmed) ? Number(trimmed) : raw;
    } else {
      changes[key] = raw;
    }
  }
  return changes;
}

/** bexio's numbering, read afresh on every visit and after a save. */
function useNumbering(): { numbering: NumberingResult | null; failure: string | null; reload: () => Promise<void> } {
  const ready = useReady();
  const [numbering, setNumbering] = useState<NumberingResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setNumbering((await graphql<{ bexioNumbering: NumberingResult }>(NUMBERING)).bexioNumbering);
      setFailure(null);
    } catch (error) {
      setFailure(errorText(error));
    }
  }, []);
  useEffect(() => {
    if (ready) {
      void reload();
    }
  }, [ready, reload]);
  return { numbering, failure, reload };
}

/** The app's numbering setting beside bexio's, and a warning when they differ. */
function NumberingSection(props: {
  automatic: boolean;
  setAutomatic: (automatic: boolean) => void;
  numbering: NumberingResult | null;
  failure: string | null;
  onCheck: () => void;
  prefix: ReactNode;
}) {
  const { s } = useSettingsMessages();
  const { automatic, setAutomatic, numbering, failure, onCheck, prefix } = props;
  const bexioAutomatic = numbering?.__typename === "BexioNumbering" ? numbering.bexioAutomatic : null;
  const bexioText =
    failure !== null
      ? s.bexioNumberingFailed(failure)
      : numbering === null
        ? s.loading
        : numbering.__typename === "BexioNumbering"
          ? numbering.bexioAutomatic
            ? s.bexioNumbersAutomatically
            : s.bexioNumbersManually
          : s.bexioNumberingUnknown(numbering.message);
  return (
    <Card testId="numbering" title={s.numberingTitle} hint={s.numberingHint}>
      <Box display="flex" gap={8} flexWrap="wrap" alignItems="flex-start">
        <Box display="flex" flexDirection="column" gap={1}>
          <Text size={2} color="default2">
            {s.numberingInApp}
          </Text>
          <Box as="label" display="flex" gap={2} alignItems="center">
            <input
              type="checkbox"
              data-testid="field-automatic_numbering"
              checked={automatic}
              onChange={(event) => setAutomatic(event.target.checked)}
            />
            <Text>{s.automaticNumbering}</Text>
          </Box>
        </Box>
        <Box display="flex" flexDirection="column" gap={1}>
          <Text size={2} color="default2">
            {s.numberingInBexio}
          </Text>
          <Box display="flex" gap={2} alignItems="center">
            <Text
              data-testid="bexio-numbering"
              data-automatic={bexioAutomatic === null ? "unknown" : String(bexioAutomatic)}
              fontWeight="bold"
            >
              {bexioText}
            </Text>
            <Button data-testid="check-numbering" variant="tertiary" size="small" onClick={onCheck}>
              {s.checkAgain}
            </Button>
          </Box>
        </Box>
      </Box>
      {bexioAutomatic !== null && bexioAutomatic !== automatic ? (
        <Box
          data-testid="numbering-mismatch"
          role="alert"
          display="flex"
          flexDirection="column"
          gap={1}
          padding={4}
          borderRadius={4}
          borderStyle="solid"
          borderWidth={1}
          borderColor="critical1"
          backgroundColor="default2"
        >
          <Text fontWeight="bold" color="critical1">
            {s.numberingMismatchTitle}
          </Text>
          <Text size={2}>{bexioAutomatic ? s.numberingMismatchBexioAutomatic : s.numberingMismatchBexioManual}</Text>
          <Text size={2}>{s.numberingMismatchConsequence}</Text>
        </Box>
      ) : null}
      {!automatic ? prefix : null}
    </Card>
  );
}

/** `/app/general`: bexio user, bank account, payment type, language, invoice texts, numbering, sync start. */
export function GeneralPage() {
  const { s } = useSettingsMessages();
  const { ready, data, failure, reload } = usePageData<{ settings: { json: SettingsJson } }>(QUERY);
  const master = useMasterData();
  const { numbering, failure: numberingFailure, reload: reloadNumbering } = useNumbering();
  const [form, setForm] = useState<Form>({});
  const [automatic, setAutomatic] = useState(true);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const choices = masterDataChoices(master.result);

  useEffect(() => {
    if (data) {
      setForm(toForm(data.settings.json));
      setAutomatic(data.settings.json.automatic_numbering !== false);
    }
  }, [data]);

  const save = async () => {
    if (!data) {
      return;
    }
    setBusy(true);
    const saved = await saveSettings(
      data.settings.json,
      { ...fromForm(form), automatic_numbering: automatic },
      s,
      setProblems,
    );
    setBusy(false);
    if (saved) {
      await Promise.all([reload(), reloadNumbering()]);
    }
  };

  const set = (key: string) => (value: string) => setForm((current) => ({ ...current, [key]: value }));
  const invalid = (key: string) => problems.some((p) => p.setting === key);

  const input = (key: string, kind: Kind, label: string) => {
    const common = {
      "data-testid": `field-${key}`,
      name: key,
      value: form[key] ?? "",
      style: { ...FIELD_STYLE, borderColor: invalid(key) ? vars.colors.border.critical1 : undefined },
      onChange: (event: { target: { value: string } }) => set(key)(event.target.value),
    };
    return (
      <Field key={key} label={label}>
        {kind === "longtext" ? (
          <textarea rows={4} {...common} />
        ) : (
          <input type={kind === "date" ? "date" : kind === "text" ? "text" : "number"} {...common} />
        )}
      </Field>
    );
  };
  const text = (key: string) => {
    const field = TEXTS.find((f) => f.key === key)!;
    return input(field.key, field.kind, String(s[field.label]));
  };

  return (
    <PageFrame
      testId="general-page"
      title={s.generalTitle}
      ready={ready}
      loaded={data !== null}
      failure={failure}
      onReload={() => void reload()}
    >
      {() => (
        <>
          <ProblemList problems={problems} s={s} />
          <Box as="section" display="flex" flexDirection="column" gap={3} data-testid="master-data">
            <Text as="h2" size={7} fontWeight="bold">
              {s.inBexioTitle}
            </Text>
            <MasterDataNotice {...master} onRefresh={() => void master.refresh()} />
            {CHOICES.map(({ key, label }) => (
              <ChoiceSelect
                key={key}
                settingKey={key}
                label={String(s[label])}
                value={form[key] ?? ""}
                choices={choices?.[key] ?? null}
                invalid={invalid(key)}
                onChange={set(key)}
              />
            ))}
          </Box>
          <Box as="section" display="flex" flexDirection="column" gap={3}>
            <Text as="h2" size={7} fontWeight="bold">
              {s.invoiceTextsTitle}
            </Text>
            {text("invoice_title")}
            {text("email_subject")}
            {text("email_body")}
          </Box>
          <NumberingSection
            automatic={automatic}
            setAutomatic={setAutomatic}
            numbering={numbering}
            failure={numberingFailure}
            onCheck={() => void reloadNumbering()}
            prefix={text("document_nr_prefix")}
          />
          <Box as="section" display="flex" flexDirection="column" gap={3}>
            <Text as="h2" size={7} fontWeight="bold">
              {s.syncTitle}
            </Text>
            {text("sync_start_date")}
            {text("pause_threshold")}
          </Box>
          <Box>
            <Button data-testid="save" variant="primary" disabled={busy} onClick={() => void save()}>
              {busy ? s.saving : s.save}
            </Button>
          </Box>
        </>
      )}
    </PageFrame>
  );
}
