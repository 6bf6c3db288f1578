import { Box, Button, Text, vars } from "@saleor/macaw-ui";
import { useCallback, useEffect, useState } from "react";

import { ApiError, graphql } from "../graphql";
import { type SettingsMessages, useSettingsMessages } from "../i18n.settings";
import {
  Card,
  errorText,
  Field,
  FIELD_STYLE,
  notify,
  type Problem,
  type SettingsJson,
  useReady,
} from "./settingsCommon";

export const PRODUCT_FIELDS = ["title", "description", "weight", "stock", "price"] as const;
const MODES = ["disabled", "bexio_master", "shop_master"];
/** How many entries of each matching list are shown. */
const LIST_LIMIT = 20;
const POLL_MS = 1500;

/** The `products` settings document with every key the page edits. */
export const DEFAULT_PRODUCTS: SettingsJson = {
  title: "disabled",
  description: "disabled",
  weight: "disabled",
  stock: "disabled",
  price: "disabled",
  price_channel_slug: null,
  bexio_price_is_gross: false,
  stock_warehouse_id: null,
  create_missing_articles: false,
};

interface Channel {
  slug: string;
  name: string;
  currency: string;
  pricesEnteredWithTax: boolean;
}

interface Warehouse {
  id: string;
  name: string;
}

type OptionsResult =
  | { __typename: "ProductSyncOptions"; channels: Channel[]; warehouses: Warehouse[] }
  | { __typename: "SaleorUnavailable"; message: string };

/** absent: this app version has no product sync (the API does not know the query). */
type Options = { state: "loading" } | { state: "absent" } | { state: "failed"; message: string } | { state: "loaded"; result: OptionsResult };

interface MatchEntry {
  code: string | null;
  name: string | null;
  saleorId: string | null;
  bexioId: number | null;
}

const LISTS = ["variantsWithoutSku", "duplicateSkus", "duplicateCodes", "unmatchedVariants", "unmatchedArticles"] as const;

type MatchingResult =
  | ({ __typename: "ProductMatching"; matched: number } & Record<(typeof LISTS)[number], MatchEntry[]>)
  | { __typename: "BexioNotConnected" | "BexioUnavailable"; message: string };

interface Change {
  direction: string;
  sku: string;
  field: string;
  old: unknown;
  new: unknown;
}

/** A dry run's findings: counts by `REPORT_COUNTS` key, example changes and notes. */
type Report = Record<string, unknown> & { changes?: Change[]; notes?: string[] };

interface BackfillProgress {
  id: number;
  entity: string;
  status: string;
  total: number | null;
  done: number;
  report: Report | null;
}

const REPORT_COUNTS = [
  "articles_to_create",
  "articles_to_update",
  "variants_to_update",
  "unchanged",
  "not_created",
  "unmatched_articles",
  "variants_without_sku",
  "duplicate_skus",
  "duplicate_codes",
];

function shown(value: unknown): string {
  if (value === null || value === undefined || value === "") {
    return "–";
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** What a dry run would change, without having changed anything. */
function DryRunReport({ report, s }: { report: Report; s: SettingsMessages }) {
  const changes = report.changes ?? [];
  const notes = report.notes ?? [];
  return (
    <Box display="flex" flexDirection="column" gap={2} data-testid="dry-run-report">
      <Text fontWeight="bold">{s.dryRunTitle}</Text>
      <Box as="ul" margin={0} paddingLeft={6}>
        {REPORT_COUNTS.filter((key) => Number(report[key] ?? 0) > 0).map((key) => (
          <Box as="li" key={key} data-testid={`report-${key}`} data-count={Number(report[key])}>
            <Text size={2}>{`${s.reportCounts[key] ?? key}: ${Number(report[key])}`}</Text>
          </Box>
        ))}
      </Box>
      {changes.length > 0 ? (
        <Box display="flex" flexDirection="column" gap={1} data-testid="dry-run-changes">
          <Text size={3} fontWeight="bold">
            {s.dryRunExamples}
          </Text>
          {changes.slice(0, LIST_LIMIT).map((change, index) => (
            <Text key={index} size={2}>
              {`${change.sku} · ${s.productFields[change.field] ?? change.field} · ${
                change.direction === "to_bexio" ? s.toBexio : s.toShop
              }: ${shown(change.old)} → ${shown(change.new)}`}
            </Text>
          ))}
        </Box>
      ) : null}
      {notes.slice(0, LIST_LIMIT).map((note, index) => (
        <Text key={index} size={2} color="default2">
          {note}
        </Text>
      ))}
    </Box>
  );
}

const OPTIONS = `query ProductSyncOptions {
  productSyncOptions {
    __typename
    ... on ProductSyncOptions {
      channels { slug name currency pricesEnteredWithTax }
      warehouses { id name }
    }
    ... on SaleorUnavailable { message }
  }
}`;

const ENTRY = "{ code name saleorId bexioId }";
const MATCHING = `query ProductMatching {
  productMatching {
    __typename
    ... on ProductMatching {
      matched
      ${LISTS.map((list) => `${list} ${ENTRY}`).join("\n      ")}
    }
    ... on BexioNotConnected { message }
    ... on BexioUnavailable { message }
  }
}`;

const START = `mutation StartProductSync($dryRun: Boolean!) {
  startProductSync(dryRun: $dryRun) {
    __typename
    ... on ProductSyncStarted { backfillId }
    ... on ProductSyncOff { message }
    ... on Forbidden { message }
    ... on BexioNotConnected { message }
  }
}`;

const BACKFILLS = `query Backfills { backfills { id entity status total done report } }`;

/** A query the API does not know answers 200 with a validation error ("Cannot query field …"). */
function isUnknownField(error: unknown): boolean {
  return error instanceof ApiError && error.status === 200 && /Cannot query field/i.test(error.message);
}

/** Whether the API offers the product sync, and the shop's channels and warehouses if so. */
export function useProductSyncOptions(): Options {
  const ready = useReady();
  const [options, setOptions] = useState<Options>({ state: "loading" });
  useEffect(() => {
    if (!ready) {
      return;
    }
    graphql<{ productSyncOptions: OptionsResult }>(OPTIONS)
      .then((answer) => setOptions({ state: "loaded", result: answer.productSyncOptions }))
      .catch((error: unknown) =>
        setOptions(isUnknownField(error) ? { state: "absent" } : { state: "failed", message: errorText(error) }),
      );
  }, [ready]);
  return options;
}

function MatchingList({ list, entries, s }: { list: string; entries: MatchEntry[]; s: SettingsMessages }) {
  if (entries.length === 0) {
    return null;
  }
  return (
    <Box display="flex" flexDirection="column" gap={1} data-testid={`matching-${list}`} data-count={entries.length}>
      <Text fontWeight="bold" size={3}>
        {s.matchingLists[list] ?? list} ({entries.length})
      </Text>
      <Box as="ul" margin={0} paddingLeft={6}>
        {entries.slice(0, LIST_LIMIT).map((entry, index) => (
          <Box as="li" key={index}>
            <Text size={2}>{[entry.code, entry.name].filter(Boolean).join(" – ") || entry.saleorId || entry.bexioId}</Text>
          </Box>
        ))}
      </Box>
      {entries.length > LIST_LIMIT ? (
        <Text size={2} color="default2">
          {s.matchingMore(entries.length - LIST_LIMIT)}
        </Text>
      ) : null}
    </Box>
  );
}

/** Shop variants beside bexio articles: how many match and what does not. */
function Matching({ s, version }: { s: SettingsMessages; version: number }) {
  const [result, setResult] = useState<MatchingResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const load = useCallback(async () => {
    setResult(null);
    setFailure(null);
    try {
      setResult((await graphql<{ productMatching: MatchingResult }>(MATCHING)).productMatching);
    } catch (error) {
      setFailure(errorText(error));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, version]);
  return (
    <Box display="flex" flexDirection="column" gap={2} data-testid="product-matching">
      <Box display="flex" gap={3} alignItems="center">
        <Text as="h3" size={5} fontWeight="bold">
          {s.matchingTitle}
        </Text>
        <Button variant="tertiary" size="small" data-testid="matching-reload" onClick={() => void load()}>
          {s.matchingCheckAgain}
        </Button>
      </Box>
      {failure !== null ? (
        <Text color="critical1" data-testid="matching-unavailable">
          {s.matchingUnavailable(failure)}
        </Text>
      ) : result === null ? (
        <Text color="default2">{s.matchingLoading}</Text>
      ) : result.__typename !== "ProductMatching" ? (
        <Text color="warning1" data-testid="matching-unavailable">
          {s.matchingUnavailable(result.message)}
        </Text>
      ) : (
        <>
          <Text data-testid="matching-matched" data-count={result.matched}>
            {s.matchingMatched(result.matched)}
          </Text>
          {LISTS.map((list) => (
            <MatchingList key={list} list={list} entries={result[list] ?? []} s={s} />
          ))}
        </>
      )}
    </Box>
  );
}

/** "Dry run" / "Sync all products now" and the progress of the started run. */
function SyncButtons({ s, dirty, onFinished }: { s: SettingsMessages; dirty: boolean; onFinished: () => void }) {
  const [backfillId, setBackfillId] = useState<number | null>(null);
  const [progress, setProgress] = useState<BackfillProgress | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (backfillId === null) {
      return;
    }
    let stopped = false;
    const poll = async () => {
      try {
        const answer = await graphql<{ backfills: BackfillProgress[] }>(BACKFILLS);
        const found = answer.backfills.find((backfill) => backfill.id === backfillId) ?? null;
        if (stopped) {
          return;
        }
        setProgress(found);
        if (found !== null && found.status !== "running") {
          onFinished();
          return;
        }
      } catch {
        // a failed poll is retried on the next tick
      }
      if (!stopped) {
        timer = window.setTimeout(() => void poll(), POLL_MS);
      }
    };
    let timer = window.setTimeout(() => void poll(), 0);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [backfillId, onFinished]);

  const start = async (dryRun: boolean) => {
    setConfirming(false);
    setBusy(true);
    try {
      const answer = await graphql<{
        startProductSync: { __typename: string; backfillId?: number; message?: string };
      }>(START, { dryRun });
      const result = answer.startProductSync;
      if (result.__typename === "ProductSyncStarted" && result.backfillId !== undefined) {
        setProgress(null);
        setBackfillId(result.backfillId);
        notify("info", s.productSyncStarted);
      } else {
        notify("error", s.failed, result.message);
      }
    } catch (error) {
      notify("error", s.failed, errorText(error));
    } finally {
      setBusy(false);
    }
  };

  const running = backfillId !== null && (progress === null || progress.status === "running");
  return (
    <Box display="flex" flexDirection="column" gap={2}>
      {dirty ? (
        <Text size={2} color="warning1" data-testid="save-before-sync">
          {s.saveBeforeSync}
        </Text>
      ) : null}
      <Box display="flex" gap={3} flexWrap="wrap">
        <Button
          data-testid="product-dry-run"
          variant="secondary"
          disabled={busy || running || dirty}
          onClick={() => void start(true)}
        >
          {s.dryRun}
        </Button>
        <Button
          data-testid="product-sync-all"
          variant="secondary"
          disabled={busy || running || dirty}
          onClick={() => setConfirming(true)}
        >
          {s.syncAllProducts}
        </Button>
      </Box>
      {confirming ? (
        <Box display="flex" flexDirection="column" gap={2} data-testid="sync-all-confirmation">
          <Text>{s.syncAllConfirm}</Text>
          <Box display="flex" gap={2}>
            <Button data-testid="confirm-sync-all" variant="primary" onClick={() => void start(false)}>
              {s.confirmSyncAll}
            </Button>
            <Button variant="tertiary" onClick={() => setConfirming(false)}>
              {s.cancel}
            </Button>
          </Box>
        </Box>
      ) : null}
      {backfillId !== null ? (
        <Text data-testid="product-sync-progress" data-status={progress?.status ?? "running"}>
          {s.productSyncProgress(
            s.backfillStatuses[progress?.status ?? "running"] ?? progress?.status ?? "",
            progress?.done ?? 0,
            progress?.total ?? null,
          )}
        </Text>
      ) : null}
      {progress?.report ? <DryRunReport report={progress.report} s={s} /> : null}
    </Box>
  );
}

/**
 * The product part of the Synchronisation page: a mode per field, channel and warehouse, gross or
 * net bexio prices, creating missing articles, the matching lists and the sync buttons. Renders
 * nothing when the API has no product sync.
 */
export function ProductSyncSection(props: {
  options: Options;
  value: SettingsJson;
  saved: SettingsJson;
  problems: Problem[];
  onChange: (value: SettingsJson) => void;
}) {
  const { s } = useSettingsMessages();
  const { options, value, saved, problems, onChange } = props;
  const [matchingVersion, setMatchingVersion] = useState(0);
  const onFinished = useCallback(() => setMatchingVersion((version) => version + 1), []);
  if (options.state === "absent") {
    return null;
  }
  const set = (key: string, next: unknown) => onChange({ ...value, [key]: next });
  const invalid = (key: string) => problems.some((p) => p.setting === `products.${key}`);
  const style = (key: string) => ({ ...FIELD_STYLE, borderColor: invalid(key) ? vars.colors.border.critical1 : undefined });
  const loaded = options.state === "loaded" && options.result.__typename === "ProductSyncOptions" ? options.result : null;
  const channels = loaded?.channels ?? [];
  const warehouses = loaded?.warehouses ?? [];
  const channelSlug = typeof value.price_channel_slug === "string" ? value.price_channel_slug : "";
  const warehouseId = typeof value.stock_warehouse_id === "string" ? value.stock_warehouse_id : "";
  const channel = channels.find((c) => c.slug === channelSlug);
  const dirty = JSON.stringify(value) !== JSON.stringify({ ...DEFAULT_PRODUCTS, ...saved });

  return (
    <Card testId="products" title={s.productsTitle} hint={s.productsHint}>
      {options.state === "loading" ? (
        <Text color="default2">{s.loading}</Text>
      ) : options.state === "failed" ? (
        <Text color="critical1" data-testid="products-unavailable">
          {s.productsLoadFailed(options.message)}
        </Text>
      ) : options.result.__typename !== "ProductSyncOptions" ? (
        <Text color="warning1" data-testid="products-unavailable">
          {s.productsUnavailable(options.result.message)}
        </Text>
      ) : null}
      <Box display="grid" gap={3} style={{ gridTemplateColumns: "repeat(auto-fill, minmax(300px, 1fr))" }}>
        {PRODUCT_FIELDS.map((field) => (
          <Field key={field} label={s.productFields[field] ?? field}>
            <select
              data-testid={`product-mode-${field}`}
              value={String(value[field] ?? "disabled")}
              style={style(field)}
              onChange={(event) => set(field, event.target.value)}
            >
              {MODES.map((mode) => (
                <option key={mode} value={mode}>
                  {s.productModes[mode] ?? mode}
                </option>
              ))}
            </select>
          </Field>
        ))}
      </Box>
      <Box display="flex" gap={6} flexWrap="wrap" alignItems="flex-start">
        <Box display="flex" flexDirection="column" gap={1}>
          <Field label={s.priceChannel}>
            <select
              data-testid="product-price-channel"
              value={channelSlug}
              style={style("price_channel_slug")}
              onChange={(event) => set("price_channel_slug", event.target.value === "" ? null : event.target.value)}
            >
              <option value="">{s.notChosen}</option>
              {channelSlug !== "" && !channel ? <option value={channelSlug}>{s.unknownId(channelSlug)}</option> : null}
              {channels.map((c) => (
                <option key={c.slug} value={c.slug}>
                  {`${c.name} (${c.currency})`}
                </option>
              ))}
            </select>
          </Field>
          {channel ? (
            <Text size={2} color="default2" data-testid="channel-tax-mode">
              {channel.pricesEnteredWithTax ? s.priceChannelGross : s.priceChannelNet}
            </Text>
          ) : null}
        </Box>
        <Field label={s.stockWarehouse}>
          <select
            data-testid="product-stock-warehouse"
            value={warehouseId}
            style={style("stock_warehouse_id")}
            onChange={(event) => set("stock_warehouse_id", event.target.value === "" ? null : event.target.value)}
          >
            <option value="">{s.notChosen}</option>
            {warehouseId !== "" && !warehouses.some((w) => w.id === warehouseId) ? (
              <option value={warehouseId}>{s.unknownId(warehouseId)}</option>
            ) : null}
            {warehouses.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </Field>
      </Box>
      <Box as="label" display="flex" gap={2} alignItems="center">
        <input
          type="checkbox"
          data-testid="product-bexio-price-is-gross"
          checked={value.bexio_price_is_gross === true}
          onChange={(event) => set("bexio_price_is_gross", event.target.checked)}
        />
        <Text>{s.bexioPriceIsGross}</Text>
      </Box>
      <Box as="label" display="flex" gap={2} alignItems="center">
        <input
          type="checkbox"
          data-testid="product-create-missing"
          checked={value.create_missing_articles === true}
          onChange={(event) => set("create_missing_articles", event.target.checked)}
        />
        <Text>{s.createMissingArticles}</Text>
      </Box>
      <SyncButtons s={s} dirty={dirty} onFinished={onFinished} />
      <Matching s={s} version={matchingVersion} />
    </Card>
  );
}
