import { actions } from "@saleor/app-sdk/app-bridge";
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useState } from "react";

import { appBridge } from "../appBridge";
import { graphql } from "../graphql";
import { formatDateTime } from "../i18n";
import { errorText as codedText } from "../i18n.errors";
import { useSettingsMessages } from "../i18n.settings";
import { errorText, notify, PageFrame, usePageData } from "./settingsCommon";

interface Connection {
  status: string;
  companyName: string | null;
  userName: string | null;
  brokenReason: string | null;
  brokenReasonCode?: string | null;
  connectedAt: string | null;
}

const QUERY = `query ConnectionPage {
  bexioConnection { status companyName userName brokenReason brokenReasonCode connectedAt }
}`;

const CONNECT = `mutation Connect {
  startBexioConnect {
    __typename
    ... on ConnectUrl { url }
    ... on BexioNotConfigured { message }
    ... on Forbidden { message }
  }
}`;

const DISCONNECT = `mutation Disconnect {
  disconnectBexio { __typename ... on Disconnected { revokedAtBexio } ... on Forbidden { message } }
}`;

interface ConnectAnswer {
  startBexioConnect: { __typename: string; url?: string; message?: string };
}

interface DisconnectAnswer {
  disconnectBexio: { __typename: string; message?: string };
}

/** Open bexio's login in a new browser tab, through the dashboard when it is there. */
function openInNewTab(url: string) {
  appBridge
    .dispatch(actions.Redirect({ to: url, newContext: true }))
    .catch(() => window.open(url, "_blank", "noopener"));
}

/** `/app/connection`: the shop's bexio connection, connect and disconnect. */
export function ConnectionPage() {
  const { s, language } = useSettingsMessages();
  const { ready, data, failure, reload } = usePageData<{ bexioConnection: Connection }>(QUERY);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<{ tone: "info" | "critical"; text: string } | null>(null);

  const connect = async () => {
    setBusy(true);
    setNotice(null);
    try {
      const result = (await graphql<ConnectAnswer>(CONNECT)).startBexioConnect;
      if (result.__typename === "ConnectUrl" && result.url) {
        openInNewTab(result.url);
        setNotice({ tone: "info", text: s.connectOpened });
        notify("info", s.connectOpened);
      } else if (result.__typename === "BexioNotConfigured") {
        setNotice({ tone: "critical", text: `${s.notConfigured} ${result.message ?? ""}` });
      } else {
        setNotice({ tone: "critical", text: s.forbidden });
      }
    } catch (error) {
      setNotice({ tone: "critical", text: `${s.failed} ${errorText(error)}` });
    } finally {
      setBusy(false);
    }
  };

  const disconnect = async () => {
    setBusy(true);
    try {
      const result = (await graphql<DisconnectAnswer>(DISCONNECT)).disconnectBexio;
      if (result.__typename === "Disconnected") {
        notify("success", s.disconnected);
      } else {
        notify("error", s.forbidden);
      }
    } catch (error) {
      notify("error", s.failed, errorText(error));
    } finally {
      setBusy(false);
      setConfirming(false);
      await reload();
    }
  };

  const connection = data?.bexioConnection;
  return (
    <PageFrame
      testId="connection-page"
      title={s.connectionTitle}
      ready={ready}
      loaded={data !== null}
      failure={failure}
      onReload={() => void reload()}
    >
      {() =>
        connection ? (
          <>
            <Box
              data-testid="bexio-connection"
              data-status={connection.status}
              display="flex"
              flexDirection="column"
              gap={2}
              padding={4}
              borderRadius={4}
              borderStyle="solid"
              borderWidth={1}
              borderColor={connection.status === "broken" ? "critical1" : "default1"}
              backgroundColor="default2"
            >
              {connection.status === "connected" ? (
                <>
                  <Text fontWeight="bold" color="success1">
                    {s.connectedTo}
                  </Text>
                  <Text data-testid="bexio-company">
                    {s.company}: {connection.companyName ?? "—"}
                  </Text>
                  <Text data-testid="bexio-user">
                    {s.user}: {connection.userName ?? "—"}
                  </Text>
                  {connection.connectedAt ? (
                    <Text size={2} color="default2">
                      {s.connectedSince}: {formatDateTime(connection.connectedAt, language)}
                    </Text>
                  ) : null}
                </>
              ) : connection.status === "broken" ? (
                <>
                  <Text fontWeight="bold" color="critical1">
                    {s.brokenTitle}
                  </Text>
                  <Text data-testid="broken-reason">
                    {codedText(language, {
                      userMessage: connection.brokenReason ?? "",
                      messageCode: connection.brokenReasonCode,
                    })}
                  </Text>
                  <Text size={2} color="default2">
                    {s.brokenHint}
                  </Text>
                </>
              ) : (
                <>
                  <Text fontWeight="bold">{s.notConnected}</Text>
                  <Text size={2} color="default2">
                    {s.notConnectedHint}
                  </Text>
                </>
              )}
            </Box>
            {notice ? (
              <Text data-testid="connect-notice" color={notice.tone === "critical" ? "critical1" : "default1"}>
                {notice.text}
              </Text>
            ) : null}
            {confirming ? (
              <Box
                data-testid="disconnect-confirmation"
                role="alertdialog"
                display="flex"
                flexDirection="column"
                gap={3}
                padding={4}
                borderRadius={4}
                borderStyle="solid"
                borderWidth={1}
                borderColor="critical1"
              >
                <Text>{s.disconnectConfirm}</Text>
                <Box display="flex" gap={2}>
                  <Button
                    data-testid="confirm-disconnect"
                    variant="error"
                    disabled={busy}
                    onClick={() => void disconnect()}
                  >
                    {s.confirmDisconnect}
                  </Button>
                  <Button variant="secondary" disabled={busy} onClick={() => setConfirming(false)}>
                    {s.cancel}
                  </Button>
                </Box>
              </Box>
            ) : (
              <Box display="flex" gap={2}>
                {connection.status !== "connected" ? (
                  <Button data-testid="connect" variant="primary" disabled={busy} onClick={() => void connect()}>
                    {connection.status === "broken" ? s.reconnect : s.connect}
                  </Button>
                ) : null}
                <Button data-testid="refresh" variant="secondary" disabled={busy} onClick={() => void reload()}>
                  {s.refresh}
                </Button>
                {connection.status !== "disconnected" ? (
                  <Button
                    data-testid="disconnect"
                    variant="error"
                    disabled={busy}
                    onClick={() => setConfirming(true)}
                  >
                    {s.disconnect}
                  </Button>
                ) : null}
              </Box>
            )}
          </>
        ) : null
      }
    </PageFrame>
  );
}
