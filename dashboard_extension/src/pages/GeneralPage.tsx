import { Box, Button, Text, vars } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";

import { type SettingsMessages, useSettingsMessages } from "../i18n.settings";
import {
  Field,
  FIELD_STYLE,
  PageFrame,
  type Problem,
  ProblemList,
  saveSettings,
  type SettingsJson,
  usePageData,
} from "./settingsCommon";

const QUERY = `query GeneralPage { settings { json } }`;

type Kind = "id" | "int" | "text" | "longtext" | "date";

/** The settings keys this page edits, in display order, with their input kind and label. */
const FIELDS: { key: string; kind: Kind; label: keyof SettingsMessages }[] = [
  { key: "bexio_user_id", kind: "id", label: "bexioUserId" },
  { key: "bank_account_id", kind: "id", label: "bankAccountId" },
  { key: "payment_type_id", kind: "id", label: "paymentTypeId" },
  { key: "language_id", kind: "id", label: "languageId" },
  { key: "revenue_account_id", kind: "id", label: "revenueAccountId" },
  { key: "invoice_title", kind: "text", label: "invoiceTitle" },
  { key: "email_subject", kind: "text", label: "emailSubject" },
  { key: "email_body", kind: "longtext", label: "emailBody" },
  { key: "document_nr_prefix", kind: "text", label: "numberPrefix" },
  { key: "sync_start_date", kind: "date", label: "syncStartDate" },
  { key: "pause_threshold", kind: "int", label: "pauseThreshold" },
];

type Form = Record<string, string>;

function toForm(json: SettingsJson): Form {
  return Object.fromEntries(
    FIELDS.map(({ key }) => [key, json[key] === null || json[key] === undefined ? "" : String(json[key])]),
  );
}

/** The form's values as settings JSON; a number field that is not a whole number stays text (the API names it). */
function fromForm(form: Form): SettingsJson {
  const changes: SettingsJson = {};
  for (const { key, kind } of FIELDS) {
    const raw = form[key] ?? "";
    if (kind === "id" || kind === "int" || kind === "date") {
      const trimmed = raw.trim();
      if (trimmed === "") {
        changes[key] = kind === "int" ? raw : null;
      } else if (kind === "date") {
        changes[key] = trimmed;
      } else {
        changes[key] = /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
      }
    } else {
      changes[key] = raw;
    }
  }
  return changes;
}

/** `/app/general`: bexio ids, invoice texts, numbering, sync start and pause threshold. */
export function GeneralPage() {
  const { s } = useSettingsMessages();
  const { ready, data, failure, reload } = usePageData<{ settings: { json: SettingsJson } }>(QUERY);
  const [form, setForm] = useState<Form>({});
  const [automatic, setAutomatic] = useState(true);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);

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
      await reload();
    }
  };

  const input = (key: string, kind: Kind, label: string) => {
    const common = {
      "data-testid": `field-${key}`,
      name: key,
      value: form[key] ?? "",
      style: { ...FIELD_STYLE, borderColor: problems.some((p) => p.setting === key) ? vars.colors.border.critical1 : undefined },
      onChange: (event: { target: { value: string } }) =>
        setForm((current) => ({ ...current, [key]: event.target.value })),
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
          <Text as="p" size={2} color="default2">
            {s.masterDataHint}
          </Text>
          <Box display="flex" flexDirection="column" gap={3}>
            {FIELDS.slice(0, 8).map(({ key, kind, label }) => input(key, kind, String(s[label])))}
            <Box as="label" display="flex" gap={2} alignItems="center">
              <input
                type="checkbox"
                data-testid="field-automatic_numbering"
                checked={automatic}
                onChange={(event) => setAutomatic(event.target.checked)}
              />
              <Text>{s.automaticNumbering}</Text>
            </Box>
            {FIELDS.slice(8).map(({ key, kind, label }) => input(key, kind, String(s[label])))}
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
