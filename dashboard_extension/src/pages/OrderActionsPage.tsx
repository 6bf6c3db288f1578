import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";

import { useSettingsMessages } from "../i18n.settings";
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

interface MatrixRow {
  row: string;
  label: string;
  actions: string[];
}

interface MatrixColumn {
  action: string;
  label: string;
}

interface PageData {
  settings: { json: SettingsJson };
  orderActionMatrix: { rows: MatrixRow[]; columns: MatrixColumn[] };
}

const QUERY = `query OrderActionsPage {
  settings { json }
  orderActionMatrix { rows { row label actions } columns { action label } }
}`;

export const BACK_SYNC_CHOICES = ["none", "add_note", "mark_as_paid", "confirm", "fulfill", "cancel_order"];

type Ticks = Record<string, string[]>;

const CELL = { paddingY: 2, paddingX: 3 } as const;

/** `/app/order-actions`: the matrix of order states × bexio actions and the back-sync choices. */
export function OrderActionsPage() {
  const { s } = useSettingsMessages();
  const { ready, data, failure, reload } = usePageData<PageData>(QUERY);
  const [ticks, setTicks] = useState<Ticks>({});
  const [onPaid, setOnPaid] = useState("none");
  const [onCancelled, setOnCancelled] = useState("none");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!data) {
      return;
    }
    setTicks(Object.fromEntries(data.orderActionMatrix.rows.map((row) => [row.row, row.actions])));
    setOnPaid(String(data.settings.json.on_invoice_paid ?? "none"));
    setOnCancelled(String(data.settings.json.on_invoice_cancelled ?? "none"));
  }, [data]);

  const columns = data?.orderActionMatrix.columns ?? [];

  const toggle = (row: string, action: string) => {
    setTicks((current) => {
      const ticked = new Set(current[row] ?? []);
      if (ticked.has(action)) {
        ticked.delete(action);
      } else {
        ticked.add(action);
      }
      // keep the matrix's column order
      return { ...current, [row]: columns.map((c) => c.action).filter((a) => ticked.has(a)) };
    });
  };

  const save = async () => {
    if (!data) {
      return;
    }
    setBusy(true);
    const saved = await saveSettings(
      data.settings.json,
      { order_actions: ticks, on_invoice_paid: onPaid, on_invoice_cancelled: onCancelled },
      s,
      setProblems,
    );
    setBusy(false);
    if (saved) {
      await reload();
    }
  };

  const choice = (testId: string, label: string, value: string, set: (v: string) => void) => (
    <Field label={label}>
      <select data-testid={testId} value={value} style={FIELD_STYLE} onChange={(e) => set(e.target.value)}>
        {BACK_SYNC_CHOICES.map((option) => (
          <option key={option} value={option}>
            {s.choices[option] ?? option}
          </option>
        ))}
      </select>
    </Field>
  );

  return (
    <PageFrame
      testId="order-actions-page"
      title={s.orderActionsTitle}
      ready={ready}
      loaded={data !== null}
      failure={failure}
      onReload={() => void reload()}
    >
      {() => (
        <>
          <Text as="p" color="default2">
            {s.orderActionsHint}
          </Text>
          <ProblemList problems={problems} s={s} />
          <Box as="table" data-testid="action-matrix" style={{ borderCollapse: "collapse" }}>
            <thead>
              <Box as="tr" borderBottomStyle="solid" borderBottomWidth={1} borderColor="default1">
                <Box as="th" {...CELL} textAlign="left">
                  <Text size={2} fontWeight="bold" color="default2">
                    {s.state}
                  </Text>
                </Box>
                {columns.map((column) => (
                  <Box as="th" key={column.action} {...CELL} textAlign="center">
                    <Text size={2} fontWeight="bold" color="default2">
                      {s.actionLabels[column.action] ?? column.label}
                    </Text>
                  </Box>
                ))}
              </Box>
            </thead>
            <tbody>
              {data?.orderActionMatrix.rows.map((row) => (
                <Box
                  as="tr"
                  key={row.row}
                  data-row={row.row}
                  borderBottomStyle="solid"
                  borderBottomWidth={1}
                  borderColor="default1"
                >
                  <Box as="td" {...CELL}>
                    <Text>{s.rowLabels[row.row] ?? row.label}</Text>
                  </Box>
                  {columns.map((column) => (
                    <Box as="td" key={column.action} {...CELL} textAlign="center">
                      <input
                        type="checkbox"
                        data-testid={`cell-${row.row}-${column.action}`}
                        aria-label={`${s.rowLabels[row.row] ?? row.label}: ${s.actionLabels[column.action] ?? column.label}`}
                        checked={(ticks[row.row] ?? []).includes(column.action)}
                        onChange={() => toggle(row.row, column.action)}
                      />
                    </Box>
                  ))}
                </Box>
              ))}
            </tbody>
          </Box>
          <Text as="h2" size={7} fontWeight="bold">
            {s.backSyncTitle}
          </Text>
          <Box display="flex" gap={6} flexWrap="wrap">
            {choice("on-invoice-paid", s.onPaid, onPaid, setOnPaid)}
            {choice("on-invoice-cancelled", s.onCancelled, onCancelled, setOnCancelled)}
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
