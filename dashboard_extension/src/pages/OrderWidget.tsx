import { useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Chip, Text } from "@saleor/macaw-ui";
import { useCallback, useEffect, useState } from "react";

import { graphql } from "../graphql";
import { errorText, type MessageParams } from "../i18n.errors";
import { formatAmount, useVatMessages } from "../i18n.vat";

interface BexioDocument {
  kind: string;
  bexioId: number;
  number: string | null;
  status: string | null;
  total: string | null;
  url: string;
}

interface OrderDocuments {
  orderId: string;
  documents: BexioDocument[];
  actionsDone: string[];
  liveError: string | null;
  liveErrorCode: string | null;
  liveErrorParams: MessageParams | null;
}

const QUERY = `query OrderWidget($orderId: String!) {
  orderDocuments(orderId: $orderId) {
    orderId actionsDone liveError liveErrorCode liveErrorParams
    documents { kind bexioId number status total url }
  }
}`;

const REFRESH_MS = 5000;

/** The order id the dashboard put into the iframe URL (`?orderId=`, `?id=` as a fallback). */
export function useOrderId(): string | null {
  const params = new URLSearchParams(window.location.search);
  return params.get("orderId") ?? params.get("orderID");
}

function statusColour(status: string | null): "success1" | "critical1" | "default2" {
  if (status === "paid") {
    return "success1";
  }
  if (status === "cancelled" || status === "deleted" || status === "unpaid") {
    return "critical1";
  }
  return "default2";
}

/** The order page's widget: `/app/order-widget?orderId=`; this order's bexio documents. */
export function OrderWidget() {
  const { appBridgeState } = useAppBridge();
  const { language, v } = useVatMessages();
  const ready = Boolean(appBridgeState?.ready && appBridgeState.token);
  const orderId = useOrderId();
  const [data, setData] = useState<OrderDocuments | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (!orderId) {
      return;
    }
    try {
      const answer = await graphql<{ orderDocuments: OrderDocuments }>(QUERY, { orderId });
      setData(answer.orderDocuments);
      setFailure(null);
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    }
  }, [orderId]);

  useEffect(() => {
    if (!ready) {
      return undefined;
    }
    void load();
    // A sync started from the "Sync to bexio" action shows up without a reload.
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [ready, load]);

  return (
    <Box display="flex" flexDirection="column" gap={2} data-testid="order-widget" data-language={language}>
      {!orderId ? (
        <Text data-testid="widget-no-order" color="default2">
          {v.noOrder}
        </Text>
      ) : !ready || (data === null && failure === null) ? (
        <Text color="default2">…</Text>
      ) : failure !== null && data === null ? (
        <Text data-testid="load-failed" color="critical1">
          {failure}
        </Text>
      ) : data === null ? null : data.documents.length === 0 ? (
        <Text data-testid="widget-empty" color="default2">
          {v.noDocuments}
        </Text>
      ) : (
        <>
          {data.documents.map((document) => (
            <Box
              key={`${document.kind}-${document.bexioId}`}
              data-testid="bexio-document"
              data-kind={document.kind}
              display="flex"
              alignItems="center"
              justifyContent="space-between"
              gap={2}
              flexWrap="wrap"
            >
              <Box display="flex" flexDirection="column">
                <Text fontWeight="bold" data-testid="document-title">
                  {v.kinds[document.kind] ?? document.kind} {document.number ?? `#${document.bexioId}`}
                </Text>
                {document.total !== null ? (
                  <Text size={2} data-testid="document-total">
                    {formatAmount(document.total, language)}
                  </Text>
                ) : null}
              </Box>
              <Box display="flex" alignItems="center" gap={2}>
                {document.status ? (
                  <Chip data-testid="document-status" data-status={document.status}>
                    <Text size={2} color={statusColour(document.status)}>
                      {v.statuses[document.status] ?? document.status}
                    </Text>
                  </Chip>
                ) : null}
                <a data-testid="document-link" href={document.url} target="_blank" rel="noreferrer noopener">
                  <Text size={2} color="accent1" textDecoration="underline">
                    {v.openInBexio}
                  </Text>
                </a>
              </Box>
            </Box>
          ))}
          {data.actionsDone.length > 0 ? (
            <Text size={2} color="default2" data-testid="actions-done">
              {v.actionsDone} {data.actionsDone.map((action) => v.actions[action] ?? action).join(", ")}
            </Text>
          ) : null}
          {data.liveError ? (
            <Text size={2} color="critical1" data-testid="live-error">
              {v.liveError(
                errorText(language, {
                  userMessage: data.liveError,
                  messageCode: data.liveErrorCode,
                  messageParams: data.liveErrorParams,
                }),
              )}
            </Text>
          ) : null}
        </>
      )}
    </Box>
  );
}
