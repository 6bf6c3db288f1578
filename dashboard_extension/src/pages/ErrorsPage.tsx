import { actions, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Button, Chip, Text } from "@saleor/macaw-ui";
import { useCallback, useEffect, useState } from "react";

import { appBridge } from "../appBridge";
import { graphql } from "../graphql";
import { formatDateTime, type Language, type Messages, useMessages } from "../i18n";

interface SyncError {
  id: number;
  kind: string;
  key: string;
  reason: string;
  userMessage: string;
  occurrences: number;
  lastSeenAt: string;
  status: string;
}

interface Connection {
  status: string;
  companyName: string | null;
  userName: string | null;
  brokenReason: string | null;
}

interface Pause {
  pausedAt: string;
  reason: string;
}

interface PageData {
  errors: SyncError[];
  syncPause: Pause | null;
  bexioConnection: Connection;
}

type StatusFilter = "open" | "all";

const REFRESH_MS = 2000;

const PAGE_QUERY = `
  query ErrorsPage($status: String) {
    errors(status: $status, limit: 200) {
      id kind key reason userMessage occurrences lastSeenAt status
    }
    syncPause { pausedAt reason }
    bexioConnection { status companyName userName brokenReason }
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

function ConnectionLine({ connection, t }: { connection: Connection; t: Messages }) {
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
        {t.broken(connection.brokenReason ?? "")}
      </Text>
    );
  }
  return (
    <Text as="p" data-testid="connection-status" data-status={connection.status} color="default2">
      {t.disconnected}
    </Text>
  );
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
          {t.paused(formatDateTime(pause.pausedAt, language), pause.reason)}
        </Text>
        <Text size={2}>{t.pausedHint}</Text>
      </Box>
      <Button data-testid="resume" variant="primary" disabled={busy} onClick={onResume}>
        {t.resume}
      </Button>
    </Box>
  );
}

const CELL = { paddingY: 2, paddingX: 3 } as const;

function ErrorRow(props: {
  error: SyncError;
  t: Messages;
  language: Language;
  busy: boolean;
  onRetry: (id: number) => void;
  onDismiss: (id: number) => void;
}) {
  const { error, t, language, busy, onRetry, onDismiss } = props;
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
        <Text data-testid="error-message">{error.userMessage}</Text>
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

function ErrorTable(props: {
  errors: SyncError[];
  t: Messages;
  language: Language;
  busy: boolean;
  onRetry: (id: number) => void;
  onDismiss: (id: number) => void;
}) {
  const { errors, t } = props;
  if (errors.length === 0) {
    return (
      <Text as="p" data-testid="no-errors" color="default2">
        {t.noErrors}
      </Text>
    );
  }
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
  const [filter, setFilter] = useState<StatusFilter>("open");
  const [data, setData] = useState<PageData | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const answer = await graphql<PageData>(PAGE_QUERY, {
        status: filter === "open" ? "open" : null,
      });
      setData(answer);
      setFailure(null);
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    }
  }, [filter]);

  useEffect(() => {
    if (!ready) {
      return undefined;
    }
    void load();
    // The worker changes the log in the background (new failures, retries that succeeded).
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [ready, load]);

  const change = useCallback(
    async (mutation: string, field: string, variables: Record<string, unknown>, done: string) => {
      setBusy(true);
      try {
        const answer = await graphql<Record<string, Typed>>(mutation, variables);
        const result = answer[field];
        if (result?.__typename === "Forbidden") {
          notify("error", t.forbidden);
        } else {
          notify("success", done);
        }
      } catch (error) {
        notify("error", t.loadFailed, error instanceof Error ? error.message : String(error));
      } finally {
        setBusy(false);
        await load();
      }
    },
    [load, t],
  );

  const onRetry = (id: number) => void change(RETRY, "retryErrors", { ids: [id] }, t.retried(1));
  const onDismiss = (id: number) =>
    void change(DISMISS, "dismissErrors", { ids: [id] }, t.dismissed(1));
  const onResume = () => void change(RESUME, "resumeSync", {}, t.resumed);

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
          <ConnectionLine connection={data.bexioConnection} t={t} />
          {data.syncPause ? (
            <PauseBanner pause={data.syncPause} t={t} language={language} busy={busy} onResume={onResume} />
          ) : null}
          <Box display="flex" gap={2} data-testid="status-filter">
            {(["open", "all"] as const).map((value) => (
              <Button
                key={value}
                data-testid={`filter-${value}`}
                variant={filter === value ? "primary" : "secondary"}
                size="small"
                onClick={() => setFilter(value)}
              >
                {value === "open" ? t.showOpen : t.showAll}
              </Button>
            ))}
          </Box>
          <ErrorTable
            errors={data.errors}
            t={t}
            language={language}
            busy={busy}
            onRetry={onRetry}
            onDismiss={onDismiss}
          />
        </>
      )}
    </Box>
  );
}
