import { actions, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useCallback, useEffect, useRef, useState } from "react";

import { appBridge } from "../appBridge";
import { graphql } from "../graphql";
import { useVatMessages } from "../i18n.vat";
import { useOrderId } from "./OrderWidget";

interface SyncRequested {
  __typename: "OrderSyncRequested";
  orderId: string;
  outcome: "QUEUED" | "ALREADY_QUEUED" | "RETRIED";
  paused: boolean;
  pauseReason: string | null;
}

interface InvalidOrderId {
  __typename: "InvalidOrderId";
  message: string;
}

const SYNC = `mutation SyncOrderNow($orderId: String!) {
  syncOrderNow(orderId: $orderId) {
    __typename
    ... on OrderSyncRequested { orderId outcome paused pauseReason }
    ... on InvalidOrderId { message }
  }
}`;

type State =
  | { phase: "idle" | "running" }
  | { phase: "done"; result: SyncRequested }
  | { phase: "failed"; message: string };

/** The "Sync to bexio" action of the order page: `/app/order-sync?orderId=`, runs at once. */
export function OrderSync() {
  const { appBridgeState } = useAppBridge();
  const { language, v } = useVatMessages();
  const ready = Boolean(appBridgeState?.ready && appBridgeState.token);
  const orderId = useOrderId();
  const [state, setState] = useState<State>({ phase: "idle" });
  const started = useRef(false);

  const run = useCallback(async () => {
    if (!orderId) {
      return;
    }
    setState({ phase: "running" });
    try {
      const answer = await graphql<{ syncOrderNow: SyncRequested | InvalidOrderId }>(SYNC, { orderId });
      const result = answer.syncOrderNow;
      if (result.__typename === "InvalidOrderId") {
        setState({ phase: "failed", message: result.message });
        void appBridge
          .dispatch(actions.Notification({ status: "error", title: v.syncFailed, text: result.message }))
          .catch(() => undefined);
        return;
      }
      setState({ phase: "done", result });
      const text = result.paused ? v.pausedNote(result.pauseReason ?? "") : v.outcomes[result.outcome];
      void appBridge
        .dispatch(
          actions.Notification({
            status: result.paused ? "warning" : "success",
            title: v.outcomeTitles[result.outcome] ?? result.outcome,
            text,
          }),
        )
        .catch(() => undefined);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      setState({ phase: "failed", message });
      void appBridge
        .dispatch(actions.Notification({ status: "error", title: v.syncFailed, text: message }))
        .catch(() => undefined);
    }
  }, [orderId, v]);

  useEffect(() => {
    // Opening the action is the merchant's request: run it once per page load.
    if (ready && orderId && !started.current) {
      started.current = true;
      void run();
    }
  }, [ready, orderId, run]);

  return (
    <Box display="flex" flexDirection="column" gap={3} data-testid="order-sync" data-language={language}>
      <Text as="h1" size={8} fontWeight="bold">
        {v.syncTitle}
      </Text>
      {!orderId ? (
        <Text data-testid="sync-no-order" color="default2">
          {v.noOrder}
        </Text>
      ) : state.phase === "done" ? (
        <Box display="flex" flexDirection="column" gap={2}>
          <Text
            data-testid="sync-result"
            data-outcome={state.result.outcome.toLowerCase()}
            data-paused={state.result.paused ? "true" : "false"}
            color="success1"
          >
            {v.outcomes[state.result.outcome] ?? state.result.outcome}
          </Text>
          {state.result.paused ? (
            <Text data-testid="sync-paused" color="warning1">
              {v.pausedNote(state.result.pauseReason ?? "")}
            </Text>
          ) : null}
          <Box>
            <Button data-testid="sync-again" variant="secondary" onClick={() => void run()}>
              {v.syncAgain}
            </Button>
          </Box>
        </Box>
      ) : state.phase === "failed" ? (
        <Box display="flex" flexDirection="column" gap={2}>
          <Text data-testid="sync-failed" color="critical1">
            {v.syncFailed} {state.message}
          </Text>
          <Box>
            <Button data-testid="sync-again" variant="secondary" onClick={() => void run()}>
              {v.syncAgain}
            </Button>
          </Box>
        </Box>
      ) : (
        <Text data-testid="sync-running" color="default2">
          {v.syncing}
        </Text>
      )}
    </Box>
  );
}
