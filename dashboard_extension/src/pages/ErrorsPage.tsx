import { actions, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Button, Chip, Text, useTheme, vars } from "@saleor/macaw-ui";
import { useCallback, useEffect, useRef, useState } from "react";

import { appBridge } from "../appBridge";
import { graphql } from "../graphql";
import { formatDate, formatDateTime, type Language, type Messages, useMessages } from "../i18n";
import { errorText, type MessageParams } from "../i18n.errors";

interface SyncError {
  id: number;
  kind: string;
  key: string;
  reason: string;
  userMessage: string;
  messageCode: string | null;
  messageParams: MessageParams | null;
  occurrences: number;
  lastSeenAt: string;
  status: string;
}

interface Connection {
  status: string;
  companyName: string | null;
  userName: string | null;
  brokenReason: string | null;
  brokenReasonCode?: string | null;
}

interface Pause {
  pausedAt: string;
  reason: string;
  code: string;
  openErrors: number | null;
}

export interface Backfill {
  id: number;
  entity: string;
  status: string;
  total: number | null;
  done: number;
  since: string;
  updatedAt: string;
}

interface PageData {
  errors: SyncError[];
  syncPause: Pause | null;
  bexioConnection: Connection;
  backfills: Backfill[];
}

export const STATUS_FILTERS = ["open", "retried", "resolved", "dismissed", "all"] as const;
type StatusFilter = (typeof STATUS_FILTERS)[number];

interface Filters {
  status: StatusFilter;
  kind: string;
  reason: string;
}

type BulkAction = "retry" | "dismiss";

const REFRESH_MS = 2000;
/** Backfills shown: every running one and the newest finished ones up to this many in all. */
const BACKFILLS_SHOWN = 5;

const PAGE_QUERY = `
  query ErrorsPage($status: String, $kind: String, $reason: String) {
    errors(status: $status, kind: $kind, reason: $reason, limit: 200) {
      id kind key reason userMessage messageCode messageParams occurrences lastSeenAt status
    }
    syncPause { pausedAt reason code openErrors }
    bexioConnection { status companyName userName brokenReason brokenReasonCode }
    backfills { id entity status total done since updatedAt }
  }
`;

const RETRY = `mutation Retry($ids: [Int!]!) {
  retryErrors(ids: $ids) { __typename ... on ErrorsRetried { count } }
}`;
const DISMISS = `mutation Dismiss($ids: [Int!]!) {
  dismissErrors(ids: $ids) { __typename ... on ErrorsDismissed { count } }
}`;
const RESUME = `mutation Resume {
  resumeSync { __typename ... on SyncResumed { resumed } }
}`;

interface Typed {
  __typename: string;
  count?: number;
}

function notify(status: "success" | "error" | "info", title: string, text?: string) {
  void appBridge.dispatch(actions.Notification({ status, title, text })).catch(() => undefined);
}

function ConnectionLine({
  connection,
  t,
  language,
}: {
  connection: Connection;
  t: Messages;
  language: Language;
}) {
  if (connection.status === "connected") {
    const text = connection.companyName
      ? t.connected(connection.companyName, connection.userName ?? "")
      : t.connectedPlain;
    return (
      <Text as="p" data-testid="connection-status" data-status="connected" color="success1">
        {text}
      </Text>
    );
  }
  if (connection.status === "broken") {
    return (
      <Text as="p" data-testid="connection-status" data-status="broken" color="critical1">
        {t.broken(
          errorText(language, {
            userMessage: connection.brokenReason ?? "",
            messageCode: connection.brokenReasonCode,
          }),
        )}
      </Text>
    );
  }
  return (
    <Text as="p" data-testid="connection-status" data-status={connection.status} color="default2">
      {t.disconnected}
    </Text>
  );
}

/** The pause's reason in the page's language; a reason without a known code as the app wrote it. */
export function pauseReason(pause: Pause, t: Messages): string {
  if (pause.code === "connection_broken") {
    return t.pauseConnectionBroken;
  }
  if (pause.code === "unresolved_errors" && pause.openErrors !== null) {
    return t.pauseUnresolvedErrors(pause.openErrors);
  }
  return pause.reason;
}

function PauseBanner(props: {
  pause: Pause;
  t: Messages;
  language: Language;
  busy: boolean;
  onResume: () => void;
}) {
  const { pause, t, language, busy, onResume } = props;
  return (
    <Box
      data-testid="pause-banner"
      role="alert"
      display="flex"
      alignItems="center"
      justifyContent="space-between"
      gap={4}
      padding={4}
      borderRadius={4}
      borderStyle="solid"
      borderWidth={1}
      borderColor="warning1"
      backgroundColor="default2"
    >
      <Box display="flex" flexDirection="column" gap={1}>
        <Text fontWeight="bold" color="warning1">
          {t.paused(formatDateTime(pause.pausedAt, language), pauseReason(pause, t))}
        </Text>
        <Text size={2}>{t.pausedHint}</Text>
      </Box>
      <Button data-testid="resume" variant="primary" disabled={busy} onClick={onResume}>
        {t.resume}
      </Button>
    </Box>
  );
}

/** The backfills worth showing: all running ones, then the newest others (API order: newest first). */
export function visibleBackfills(backfills: Backfill[]): Backfill[] {
  const running = backfills.filter((backfill) => backfill.status === "running");
  const others = backfills.filter((backfill) => backfill.status !== "running");
  return [...running, ...others.slice(0, Math.max(0, BACKFILLS_SHOWN - running.length))];
}

function ProgressBar({ done, total }: { done: number; total: number | null }) {
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : total === 0 ? 100 : 0;
  return (
    <Box
      data-testid="backfill-bar"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={total ?? undefined}
      aria-valuenow={total === null ? undefined : done}
      width="100%"
      borderRadius={4}
      backgroundColor="default2"
      overflow="hidden"
      style={{ height: 8 }}
    >
      <Box
        data-testid="backfill-bar-fill"
        backgroundColor="accent1"
        style={{ height: 8, width: `${percent}%`, transition: "width 0.4s ease" }}
      />
    </Box>
  );
}

function BackfillList(props: { backfills: Backfill[]; t: Messages; language: Language }) {
  const { t, language } = props;
  const shown = visibleBackfills(props.backfills);
  if (shown.length === 0) {
    return null;
  }
  return (
    <Box data-testid="backfills" display="flex" flexDirection="column" gap={3}>
      <Text as="h2" size={7} fontWeight="bold">
        {t.progressTitle}
      </Text>
      {shown.map((backfill) => (
        <Box
          key={backfill.id}
          data-testid="backfill"
          data-entity={backfill.entity}
          data-status={backfill.status}
          display="flex"
          flexDirection="column"
          gap={1}
          style={{ maxWidth: 640 }}
        >
          <Box display="flex" alignItems="center" justifyContent="space-between" gap={3}>
            <Text fontWeight="bold" data-testid="backfill-entity">
              {t.entities[backfill.entity] ?? backfill.entity}{" "}
              <Text size={2} color="default2">
                {t.backfillSince(formatDate(backfill.since, language))}
              </Text>
            </Text>
            <Box display="flex" alignItems="center" gap={2}>
              <Text size={2} data-testid="backfill-count">
                {t.backfillCount(backfill.done, backfill.total)}
              </Text>
              <Chip data-testid="backfill-status">
                <Text size={2} color={backfill.status === "failed" ? "critical1" : "default1"}>
                  {t.backfillStatuses[backfill.status] ?? backfill.status}
                </Text>
              </Chip>
            </Box>
          </Box>
          <ProgressBar done={backfill.done} total={backfill.total} />
        </Box>
      ))}
    </Box>
  );
}

/** Native selects in the theme's colours (so they follow light/dark). */
function FilterSelect(props: {
  testId: string;
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
}) {
  const { testId, label, value, options, onChange } = props;
  const { theme } = useTheme();
  return (
    <Box as="label" display="flex" alignItems="center" gap={2}>
      <Text size={2} color="default2">
        {label}
      </Text>
      <select
        data-testid={testId}
        value={value}
        style={{
          padding: "4px 8px",
          borderRadius: 4,
          border: `1px solid ${vars.colors.border.default1}`,
          backgroundColor: vars.colors.background.default1,
          color: vars.colors.text.default1,
          fontFamily: "inherit",
          fontSize: 13,
          colorScheme: theme === "defaultDark" ? "dark" : "light",
        }}
        onChange={(event) => onChange(event.target.value)}
      >
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </Box>
  );
}

function FilterBar(props: { filters: Filters; t: Messages; onChange: (filters: Filters) => void }) {
  const { filters, t, onChange } = props;
  return (
    <Box display="flex" gap={4} alignItems="center" flexWrap="wrap" data-testid="filters">
      <Box display="flex" gap={2} data-testid="status-filter" role="group" aria-label={t.filterStatus}>
        {STATUS_FILTERS.map((value) => (
          <Button
            key={value}
            data-testid={`filter-${value}`}
            aria-pressed={filters.status === value}
            variant={filters.status === value ? "primary" : "secondary"}
            size="small"
            onClick={() => onChange({ ...filters, status: value })}
          >
            {value === "all" ? t.showAll : (t.statuses[value] ?? value)}
          </Button>
        ))}
      </Box>
      <FilterSelect
        testId="filter-kind"
        label={t.filterKind}
        value={filters.kind}
        options={[["", t.anyKind], ...Object.entries(t.kinds)]}
        onChange={(kind) => onChange({ ...filters, kind })}
      />
      <FilterSelect
        testId="filter-reason"
        label={t.filterReason}
        value={filters.reason}
        options={[["", t.anyReason], ...Object.entries(t.reasons)]}
        onChange={(reason) => onChange({ ...filters, reason })}
      />
    </Box>
  );
}

function BulkBar(props: {
  selected: number;
  t: Messages;
  busy: boolean;
  confirming: BulkAction | null;
  onAsk: (action: BulkAction) => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { selected, t, busy, confirming, onAsk, onConfirm, onCancel } = props;
  if (confirming) {
    return (
      <Box
        data-testid="bulk-confirmation"
        data-action={confirming}
        role="alertdialog"
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        gap={3}
        padding={3}
        borderRadius={4}
        borderStyle="solid"
        borderWidth={1}
        borderColor={confirming === "dismiss" ? "critical1" : "default1"}
        backgroundColor="default2"
      >
        <Text>{confirming === "retry" ? t.confirmRetry(selected) : t.confirmDismiss(selected)}</Text>
        <Box display="flex" gap={2}>
          <Button
            data-testid="bulk-confirm"
            variant={confirming === "dismiss" ? "error" : "primary"}
            size="small"
            disabled={busy}
            onClick={onConfirm}
          >
            {confirming === "retry" ? t.retrySelected : t.dismissSelected}
          </Button>
          <Button data-testid="bulk-cancel" variant="secondary" size="small" disabled={busy} onClick={onCancel}>
            {t.cancel}
          </Button>
        </Box>
      </Box>
    );
  }
  return (
    <Box display="flex" alignItems="center" gap={3} data-testid="bulk-actions">
      <Text size={2} color="default2" data-testid="selected-count">
        {t.selectedCount(selected)}
      </Text>
      <Button
        data-testid="retry-selected"
        variant="secondary"
        size="small"
        disabled={busy || selected === 0}
        onClick={() => onAsk("retry")}
      >
        {t.retrySelected}
      </Button>
      <Button
        data-testid="dismiss-selected"
        variant="tertiary"
        size="small"
        disabled={busy || selected === 0}
        onClick={() => onAsk("dismiss")}
      >
        {t.dismissSelected}
      </Button>
    </Box>
  );
}

const CELL = { paddingY: 2, paddingX: 3 } as const;

interface RowHandlers {
  t: Messages;
  language: Language;
  busy: boolean;
  selected: ReadonlySet<number>;
  onSelect: (id: number, selected: boolean) => void;
  onRetry: (id: number) => void;
  onDismiss: (id: number) => void;
}

function ErrorRow(props: RowHandlers & { error: SyncError }) {
  const { error, t, language, busy, selected, onSelect, onRetry, onDismiss } = props;
  const open = error.status === "open";
  return (
    <Box
      as="tr"
      data-testid="error-row"
      data-error-id={error.id}
      data-status={error.status}
      borderBottomStyle="solid"
      borderBottomWidth={1}
      borderColor="default1"
    >
      <Box as="td" {...CELL}>
        {open ? (
          <input
            type="checkbox"
            data-testid="select-error"
            aria-label={t.selectEntry(error.key)}
            checked={selected.has(error.id)}
            onChange={(event) => onSelect(error.id, event.target.checked)}
          />
        ) : null}
      </Box>
      <Box as="td" {...CELL}>
        <Text>{t.kinds[error.kind] ?? error.kind}</Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text size={2} data-testid="error-key">
          {error.key}
        </Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text>{t.reasons[error.reason] ?? error.reason}</Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text data-testid="error-message" data-code={error.messageCode ?? undefined}>
          {errorText(language, error)}
        </Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text>{error.occurrences}</Text>
      </Box>
      <Box as="td" {...CELL}>
        <Text size={2}>{formatDateTime(error.lastSeenAt, language)}</Text>
      </Box>
      <Box as="td" {...CELL}>
        <Chip data-testid="error-status">{t.statuses[error.status] ?? error.status}</Chip>
      </Box>
      <Box as="td" {...CELL}>
        {open ? (
          <Box display="flex" gap={2}>
            <Button
              data-testid="retry"
              variant="secondary"
              size="small"
              disabled={busy}
              style={{ whiteSpace: "nowrap" }}
              onClick={() => onRetry(error.id)}
            >
              {t.retry}
            </Button>
            <Button
              data-testid="dismiss"
              variant="tertiary"
              size="small"
              disabled={busy}
              style={{ whiteSpace: "nowrap" }}
              onClick={() => onDismiss(error.id)}
            >
              {t.dismiss}
            </Button>
          </Box>
        ) : null}
      </Box>
    </Box>
  );
}

function ErrorTable(props: RowHandlers & { errors: SyncError[]; onSelectAll: (selected: boolean) => void }) {
  const { errors, t, selected, onSelectAll } = props;
  if (errors.length === 0) {
    return (
      <Text as="p" data-testid="no-errors" color="default2">
        {t.noErrors}
      </Text>
    );
  }
  const openIds = errors.filter((error) => error.status === "open").map((error) => error.id);
  const allSelected = openIds.length > 0 && openIds.every((id) => selected.has(id));
  const someSelected = openIds.some((id) => selected.has(id));
  const headers = [
    t.colKind,
    t.colKey,
    t.colReason,
    t.colMessage,
    t.colOccurrences,
    t.colLastSeen,
    t.colStatus,
    t.colActions,
  ];
  return (
    <Box as="table" data-testid="error-table" width="100%" style={{ borderCollapse: "collapse" }}>
      <thead>
        <Box as="tr" borderBottomStyle="solid" borderBottomWidth={1} borderColor="default1">
          <Box as="th" {...CELL} textAlign="left">
            {openIds.length > 0 ? (
              <input
                type="checkbox"
                data-testid="select-all"
                aria-label={t.selectAll}
                checked={allSelected}
                ref={(element) => {
                  if (element) {
                    element.indeterminate = someSelected && !allSelected;
                  }
                }}
                onChange={(event) => onSelectAll(event.target.checked)}
              />
            ) : null}
          </Box>
          {headers.map((header, index) => (
            <Box as="th" key={index} {...CELL} textAlign="left">
              <Text size={2} fontWeight="bold" color="default2">
                {header}
              </Text>
            </Box>
          ))}
        </Box>
      </thead>
      <tbody>
        {errors.map((error) => (
          <ErrorRow key={error.id} {...props} error={error} />
        ))}
      </tbody>
    </Box>
  );
}

/** The error log: `/app/errors`, the dashboard's "bexio" entry below Orders. */
export function ErrorsPage() {
  const { appBridgeState } = useAppBridge();
  const { language, t } = useMessages();
  const ready = Boolean(appBridgeState?.ready && appBridgeState.token);
  const [filters, setFilters] = useState<Filters>({ status: "open", kind: "", reason: "" });
  const [data, setData] = useState<PageData | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [confirming, setConfirming] = useState<BulkAction | null>(null);

  // Only the newest request's answer is shown (a slow one must not undo a filter change).
  const latest = useRef(0);

  const load = useCallback(async () => {
    const request = ++latest.current;
    try {
      const answer = await graphql<PageData>(PAGE_QUERY, {
        status: filters.status === "all" ? null : filters.status,
        kind: filters.kind || null,
        reason: filters.reason || null,
      });
      if (request !== latest.current) {
        return;
      }
      setData(answer);
      setFailure(null);
      // Entries that left the list (resolved by the worker, filtered out) are no longer selected.
      const selectable = new Set(answer.errors.filter((e) => e.status === "open").map((e) => e.id));
      setSelected((current) => {
        const kept = [...current].filter((id) => selectable.has(id));
        return kept.length === current.size ? current : new Set(kept);
      });
    } catch (error) {
      if (request === latest.current) {
        setFailure(error instanceof Error ? error.message : String(error));
      }
    }
  }, [filters]);

  useEffect(() => {
    if (!ready) {
      return undefined;
    }
    void load();
    // The worker changes the log and the backfills' progress in the background.
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [ready, load]);

  const change = useCallback(
    async (
      mutation: string,
      field: string,
      variables: Record<string, unknown>,
      done: (count: number) => string,
    ) => {
      setBusy(true);
      try {
        const answer = await graphql<Record<string, Typed>>(mutation, variables);
        const result = answer[field];
        if (result?.__typename === "Forbidden") {
          notify("error", t.forbidden);
        } else {
          notify("success", done(result?.count ?? 0));
          return true;
        }
      } catch (error) {
        notify("error", t.loadFailed, error instanceof Error ? error.message : String(error));
      } finally {
        setBusy(false);
        await load();
      }
      return false;
    },
    [load, t],
  );

  const onRetry = (id: number) => void change(RETRY, "retryErrors", { ids: [id] }, t.retried);
  const onDismiss = (id: number) => void change(DISMISS, "dismissErrors", { ids: [id] }, t.dismissed);
  const onResume = () => void change(RESUME, "resumeSync", {}, () => t.resumed);

  const onSelect = (id: number, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) {
        next.add(id);
      } else {
        next.delete(id);
      }
      return next;
    });
  const onSelectAll = (on: boolean) =>
    setSelected(
      on ? new Set((data?.errors ?? []).filter((e) => e.status === "open").map((e) => e.id)) : new Set(),
    );
  const onConfirmBulk = async () => {
    const ids = [...selected];
    const action = confirming;
    const ok =
      action === "retry"
        ? await change(RETRY, "retryErrors", { ids }, t.retried)
        : await change(DISMISS, "dismissErrors", { ids }, t.dismissed);
    setConfirming(null);
    if (ok) {
      setSelected(new Set());
    }
  };
  const onFilters = (next: Filters) => {
    setFilters(next);
    setSelected(new Set());
    setConfirming(null);
  };

  const hasOpen = (data?.errors ?? []).some((error) => error.status === "open");
  return (
    <Box display="flex" flexDirection="column" gap={4} data-testid="errors-page" data-language={language}>
      <Text as="h1" size={10} fontWeight="bold">
        {t.errorsTitle}
      </Text>
      {!ready ? (
        <Text as="p" data-testid="waiting" color="default2">
          {t.waiting}
        </Text>
      ) : failure !== null && data === null ? (
        <Box display="flex" flexDirection="column" gap={2} data-testid="load-failed">
          <Text color="critical1">
            {t.loadFailed} {failure}
          </Text>
          <Box>
            <Button variant="secondary" onClick={() => void load()}>
              {t.reload}
            </Button>
          </Box>
        </Box>
      ) : data === null ? (
        <Text as="p" color="default2">
          {t.loading}
        </Text>
      ) : (
        <>
          <ConnectionLine connection={data.bexioConnection} t={t} language={language} />
          {data.syncPause ? (
            <PauseBanner pause={data.syncPause} t={t} language={language} busy={busy} onResume={onResume} />
          ) : null}
          <BackfillList backfills={data.backfills} t={t} language={language} />
          <FilterBar filters={filters} t={t} onChange={onFilters} />
          {hasOpen ? (
            <BulkBar
              selected={selected.size}
              t={t}
              busy={busy}
              confirming={confirming}
              onAsk={setConfirming}
              onConfirm={() => void onConfirmBulk()}
              onCancel={() => setConfirming(null)}
            />
          ) : null}
          <ErrorTable
            errors={data.errors}
            t={t}
            language={language}
            busy={busy}
            selected={selected}
            onSelect={onSelect}
            onSelectAll={onSelectAll}
            onRetry={onRetry}
            onDismiss={onDismiss}
          />
        </>
      )}
    </Box>
  );
}
