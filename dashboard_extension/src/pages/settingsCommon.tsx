import { actions, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, Button, Text, vars } from "@saleor/macaw-ui";
import { type ReactNode, useCallback, useEffect, useState } from "react";

import { appBridge } from "../appBridge";
import { graphql } from "../graphql";
import { type SettingsMessages, useSettingsMessages } from "../i18n.settings";

export type SettingsJson = Record<string, unknown>;

export interface Problem {
  setting: string;
  message: string;
  severity: "ERROR" | "WARNING";
}

export function notify(status: "success" | "error" | "info", title: string, text?: string) {
  void appBridge.dispatch(actions.Notification({ status, title, text })).catch(() => undefined);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True once the dashboard's handshake delivered a token. */
export function useReady(): boolean {
  const { appBridgeState } = useAppBridge();
  return Boolean(appBridgeState?.ready && appBridgeState.token);
}

const SAVE = `mutation SaveSettings($json: JSON!) {
  saveSettings(json: $json) {
    __typename
    ... on SettingsSaved { json warnings { setting message severity } }
    ... on SettingsInvalid { problems { setting message severity } }
    ... on Forbidden { message }
  }
}`;

interface SaveAnswer {
  saveSettings: {
    __typename: "SettingsSaved" | "SettingsInvalid" | "Forbidden";
    json?: SettingsJson;
    warnings?: Problem[];
    problems?: Problem[];
    message?: string;
  };
}

/**
 * Save the shop's full settings document with `changes` applied. The problems (errors of a
 * refused save, warnings of an accepted one) go to `setProblems`; returns the saved document.
 */
export async function saveSettings(
  current: SettingsJson,
  changes: SettingsJson,
  s: SettingsMessages,
  setProblems: (problems: Problem[]) => void,
): Promise<SettingsJson | null> {
  try {
    const answer = await graphql<SaveAnswer>(SAVE, { json: { ...current, ...changes } });
    const result = answer.saveSettings;
    if (result.__typename === "SettingsSaved" && result.json) {
      setProblems(result.warnings ?? []);
      notify("success", s.saved);
      return result.json;
    }
    if (result.__typename === "SettingsInvalid") {
      setProblems(result.problems ?? []);
      notify("error", s.invalid, (result.problems ?? []).map((p) => p.message).join(" "));
      return null;
    }
    notify("error", s.forbidden);
    return null;
  } catch (error) {
    notify("error", s.failed, errorText(error));
    return null;
  }
}

/** Load `query` once the handshake is done; `reload` fetches again. */
export function usePageData<T>(query: string): {
  ready: boolean;
  data: T | null;
  failure: string | null;
  reload: () => Promise<void>;
} {
  const ready = useReady();
  const [data, setData] = useState<T | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await graphql<T>(query));
      setFailure(null);
    } catch (error) {
      setFailure(errorText(error));
    }
  }, [query]);
  useEffect(() => {
    if (ready) {
      void reload();
    }
  }, [ready, reload]);
  return { ready, data, failure, reload };
}

/** Title plus the waiting / failed / loading states around a page's content. */
export function PageFrame(props: {
  testId: string;
  title: string;
  ready: boolean;
  loaded: boolean;
  failure: string | null;
  onReload: () => void;
  children: () => ReactNode;
}) {
  const { s, language } = useSettingsMessages();
  const { testId, title, ready, loaded, failure, onReload, children } = props;
  return (
    <Box display="flex" flexDirection="column" gap={4} data-testid={testId} data-language={language}>
      <Text as="h1" size={10} fontWeight="bold">
        {title}
      </Text>
      {!ready ? (
        <Text as="p" data-testid="waiting" color="default2">
          {s.waiting}
        </Text>
      ) : failure !== null && !loaded ? (
        <Box display="flex" flexDirection="column" gap={2} data-testid="load-failed">
          <Text color="critical1">
            {s.loadFailed} {failure}
          </Text>
          <Box>
            <Button variant="secondary" onClick={onReload}>
              {s.reload}
            </Button>
          </Box>
        </Box>
      ) : !loaded ? (
        <Text as="p" color="default2">
          {s.loading}
        </Text>
      ) : (
        children()
      )}
    </Box>
  );
}

/** The problems of the last save: errors (not saved) in red, warnings in amber. */
export function ProblemList({ problems, s }: { problems: Problem[]; s: SettingsMessages }) {
  if (problems.length === 0) {
    return null;
  }
  const refused = problems.some((p) => p.severity === "ERROR");
  return (
    <Box
      data-testid="settings-problems"
      role="alert"
      display="flex"
      flexDirection="column"
      gap={1}
      padding={4}
      borderRadius={4}
      borderStyle="solid"
      borderWidth={1}
      borderColor={refused ? "critical1" : "warning1"}
      backgroundColor="default2"
    >
      <Text fontWeight="bold" color={refused ? "critical1" : "warning1"}>
        {refused ? s.invalid : s.warnings}
      </Text>
      {problems.map((problem, index) => (
        <Text
          key={index}
          size={2}
          data-testid="settings-problem"
          data-setting={problem.setting}
          data-severity={problem.severity}
        >
          {problem.message}
        </Text>
      ))}
    </Box>
  );
}

/** Native form controls in the theme's colours (so they follow light/dark). */
export const FIELD_STYLE = {
  padding: "6px 8px",
  borderRadius: 4,
  border: `1px solid ${vars.colors.border.default1}`,
  backgroundColor: vars.colors.background.default1,
  color: vars.colors.text.default1,
  font: "inherit",
  boxSizing: "border-box",
  maxWidth: 520,
} as const;

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box as="label" display="flex" flexDirection="column" gap={1}>
      <Text size={2} color="default2">
        {label}
      </Text>
      {children}
    </Box>
  );
}
