import { useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Text } from "@saleor/macaw-ui";

/** "Connected to <saleorApiUrl>" once the dashboard's handshake delivered a token. */
function ConnectionStatus() {
  const { appBridgeState } = useAppBridge();
  const connected = Boolean(appBridgeState?.ready && appBridgeState.token);
  return (
    <Text as="p" data-testid="connection-status" color={connected ? "default1" : "default2"}>
      {connected
        ? `Connected to ${appBridgeState?.saleorApiUrl ?? ""}`
        : "Waiting for the Saleor dashboard…"}
    </Text>
  );
}

export function PlaceholderPage({ title }: { title: string }) {
  return (
    <Box display="flex" flexDirection="column" gap={4}>
      <Text as="h1" size={10} fontWeight="bold">
        {title}
      </Text>
      <ConnectionStatus />
    </Box>
  );
}

export function NotFoundPage({ path }: { path: string }) {
  return (
    <Box display="flex" flexDirection="column" gap={4}>
      <Text as="h1" size={10} fontWeight="bold">
        Page not found
      </Text>
      <Text as="p">There is no bexio page at {path}.</Text>
    </Box>
  );
}
