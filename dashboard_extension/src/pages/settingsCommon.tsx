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

/** A bordered section of a settings page: its heading, a hint, then its content. */
export function Card(props: { testId: string; title: string; hint: string; children: ReactNode }) {
  return (
    <Box
      as="section"
      data-testid={props.testId}
      display="flex"
      flexDirection="column"
      gap={3}
      padding={4}
      borderRadius={4}
      borderStyle="solid"
      borderWidth={1}
      borderColor="default1"
    >
      <Text as="h2" size={7} fontWeight="bold">
        {props.title}
      </Text>
      <Text as="p" size={2} color="default2">
        {props.hint}
      </Text>
      {props.children}
    </Box>
  );
}

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

/** One entry of a bexio list, as a dropdown shows it. */
export interface Choice {
  id: number;
  label: string;
}

interface BexioUser {
  id: number;
  name: string;
  email: string | null;
}

interface BexioBankAccount {
  id: number;
  name: string;
  iban: string | null;
  currency: string | null;
}

interface BexioNamed {
  id: number;
  name: string;
}

interface BexioLanguage {
  id: number;
  name: string;
  code: string | null;
}

interface BexioRevenueAccount {
  id: number;
  accountNo: string;
  name: string;
}

export type MasterDataResult =
  | {
      __typename: "BexioMasterData";
      users: BexioUser[];
      bankAccounts: BexioBankAccount[];
      paymentTypes: BexioNamed[];
      languages: BexioLanguage[];
      revenueAccounts: BexioRevenueAccount[];
    }
  | { __typename: "BexioNotConnected" | "BexioUnavailable"; message: string };

const MASTER_DATA = `query MasterData($refresh: Boolean!) {
  bexioMasterData(refresh: $refresh) {
    __typename
    ... on BexioMasterData {
      users { id name email }
      bankAccounts { id name iban currency }
      paymentTypes { id name }
      languages { id name code }
      revenueAccounts { id accountNo name }
    }
    ... on BexioNotConnected { message }
    ... on BexioUnavailable { message }
  }
}`;

/** The choices per settings key, from bexio's master data. */
export function masterDataChoices(result: MasterDataResult | null): Record<string, Choice[]> | null {
  if (result === null || result.__typename !== "BexioMasterData") {
    return null;
  }
  const bank = (account: BexioBankAccount) =>
    [account.name, account.iban, account.currency ? `(${account.currency})` : null].filter(Boolean).join(" · ");
  return {
    bexio_user_id: result.users.map((u) => ({ id: u.id, label: u.email ? `${u.name} <${u.email}>` : u.name })),
    bank_account_id: result.bankAccounts.map((a) => ({ id: a.id, label: bank(a) })),
    payment_type_id: result.paymentTypes.map((t) => ({ id: t.id, label: t.name })),
    language_id: result.languages.map((l) => ({ id: l.id, label: l.code ? `${l.name} (${l.code})` : l.name })),
    revenue_account_id: result.revenueAccounts.map((a) => ({ id: a.id, label: `${a.accountNo} ${a.name}` })),
  };
}

/** bexio's lists for the dropdowns, loaded once the handshake is done; `refresh` reads bexio afresh. */
export function useMasterData(): {
  result: MasterDataResult | null;
  failure: string | null;
  loading: boolean;
  refresh: () => Promise<void>;
} {
  const ready = useReady();
  const [result, setResult] = useState<MasterDataResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(async (refresh: boolean) => {
    setLoading(true);
    try {
      const answer = await graphql<{ bexioMasterData: MasterDataResult }>(MASTER_DATA, { refresh });
      setResult(answer.bexioMasterData);
      setFailure(null);
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    if (ready) {
      void load(false);
    }
  }, [ready, load]);
  return { result, failure, loading, refresh: () => load(true) };
}

/**
 * Why the dropdowns offer no bexio lists (not connected, bexio not answering), with a button to
 * read bexio's lists again; nothing while they load or when they are there.
 */
export function MasterDataNotice(props: {
  result: MasterDataResult | null;
  failure: string | null;
  loading: boolean;
  onRefresh: () => void;
}) {
  const { s } = useSettingsMessages();
  const { result, failure, loading, onRefresh } = props;
  const reason =
    failure !== null
      ? s.masterDataFailed(failure)
      : result === null
        ? null
        : result.__typename === "BexioNotConnected"
          ? s.masterDataNotConnected(result.message)
          : result.__typename === "BexioUnavailable"
            ? s.masterDataUnavailable(result.message)
            : null;
  return (
    <Box display="flex" gap={3} alignItems="center" flexWrap="wrap">
      {reason !== null ? (
        <Text
          data-testid="master-data-unavailable"
          data-kind={failure !== null ? "failed" : result?.__typename}
          size={2}
          color="warning1"
        >
          {reason}
        </Text>
      ) : (
        <Text size={2} color="default2" data-testid="master-data-state" data-loaded={result !== null ? "true" : "false"}>
          {result === null ? s.masterDataLoading : s.masterDataHint}
        </Text>
      )}
      <Button
        data-testid="refresh-master-data"
        variant="tertiary"
        size="small"
        disabled={loading}
        onClick={onRefresh}
      >
        {s.masterDataRefresh}
      </Button>
    </Box>
  );
}

/**
 * A dropdown of bexio's entries for an id setting. The current id stays selectable when bexio no
 * longer has it ("unknown (id N)") and while bexio's lists are not there ("id N").
 */
export function ChoiceSelect(props: {
  settingKey: string;
  label: string;
  value: string;
  choices: Choice[] | null;
  invalid: boolean;
  onChange: (value: string) => void;
}) {
  const { s } = useSettingsMessages();
  const { settingKey, label, value, choices, invalid, onChange } = props;
  const known = choices?.some((choice) => String(choice.id) === value) ?? false;
  return (
    <Field label={label}>
      <select
        data-testid={`field-${settingKey}`}
        name={settingKey}
        value={value}
        disabled={choices === null}
        data-known={value === "" || known ? "true" : "false"}
        style={{ ...FIELD_STYLE, borderColor: invalid ? vars.colors.border.critical1 : undefined }}
        onChange={(event) => onChange(event.target.value)}
      >
        <option value="">{s.notChosen}</option>
        {value !== "" && !known ? (
          <option value={value}>{choices === null ? s.currentId(value) : s.unknownId(value)}</option>
        ) : null}
        {(choices ?? []).map((choice) => (
          <option key={choice.id} value={String(choice.id)}>
            {choice.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A settings value as the text of a form field ("" for none). */
export function formValue(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** A dropdown's id as settings JSON: null for none. */
export function idValue(value: string): number | null {
  return value === "" ? null : Number(value);
}
