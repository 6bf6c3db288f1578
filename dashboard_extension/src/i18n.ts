import { useDashboardLocale } from "./appBridge";

export type Language = "en" | "de";

/** "de", "de-CH", "DE_CH" → German; everything else → English. */
export function toLanguage(locale: string | undefined): Language {
  return locale?.toLowerCase().startsWith("de") ? "de" : "en";
}

const en = {
  errorsTitle: "bexio sync errors",
  waiting: "Waiting for the Saleor dashboard…",
  loading: "Loading…",
  loadFailed: "The bexio app could not load this page:",
  reload: "Reload",
  connected: (company: string, user: string) => `bexio connected: ${company}${user ? ` (${user})` : ""}`,
  connectedPlain: "bexio connected",
  broken: (reason: string) => `bexio connection broken: ${reason}`,
  disconnected: "bexio not connected. Connect it on the app's settings page.",
  paused: (since: string, reason: string) => `The sync to bexio is paused since ${since}: ${reason}.`,
  pausedHint: "New changes wait until you resume; fix or dismiss the errors below first.",
  pauseConnectionBroken: "the bexio connection is broken",
  pauseUnresolvedErrors: (count: number) =>
    `${count} unresolved ${count === 1 ? "error" : "errors"}`,
  resume: "Resume sync",
  resumed: "The sync runs again.",
  showOpen: "Open",
  showAll: "All",
  noErrors: "No sync errors. Everything reached bexio.",
  colKind: "Kind",
  colKey: "Saleor object",
  colReason: "Reason",
  colMessage: "Message",
  colOccurrences: "Occurrences",
  colLastSeen: "Last seen",
  colStatus: "Status",
  colActions: "",
  retry: "Retry",
  dismiss: "Dismiss",
  retried: (count: number) => `${count} ${count === 1 ? "entry" : "entries"} queued again.`,
  dismissed: (count: number) => `${count} ${count === 1 ? "entry" : "entries"} dismissed.`,
  forbidden: "You need the MANAGE_APPS permission for this.",
  filterStatus: "Status",
  filterKind: "Kind",
  filterReason: "Reason",
  anyKind: "All kinds",
  anyReason: "All reasons",
  selectAll: "Select all open entries on this page",
  selectEntry: (key: string) => `Select ${key}`,
  selectedCount: (count: number) => `${count} selected`,
  retrySelected: "Retry selected",
  dismissSelected: "Dismiss selected",
  confirmRetry: (count: number) =>
    `Retry ${count} ${count === 1 ? "entry" : "entries"}? Their work is queued again.`,
  confirmDismiss: (count: number) =>
    `Dismiss ${count} ${count === 1 ? "entry" : "entries"}? Their failed work is dropped and not retried.`,
  cancel: "Cancel",
  progressTitle: "Sync progress",
  backfillSince: (date: string) => `created since ${date}`,
  backfillCount: (done: number, total: number | null) =>
    total === null ? `${done} queued, counting…` : `${done} of ${total}`,
  backfillStatuses: {
    running: "Running",
    done: "Done",
    failed: "Stopped",
  } as Record<string, string>,
  entities: {
    orders: "Orders",
    customers: "Customers",
    products: "Products",
    products_dry_run: "Products (dry run)",
  } as Record<string, string>,
  kinds: {
    sync_order: "Order",
    sync_customer: "Customer",
    sync_product: "Product",
    poll_invoices: "Invoice check",
    poll_articles: "Article check",
    backfill: "Backfill",
    app_installed: "Installation",
  } as Record<string, string>,
  reasons: {
    transient: "Temporary",
    rejected: "Rejected by bexio",
    config: "Settings",
    auth: "Connection",
    not_found: "Not found",
    exceeded: "Gave up after retries",
    internal: "Unexpected",
    manual: "To do by hand",
  } as Record<string, string>,
  statuses: {
    open: "Open",
    retried: "Retried",
    dismissed: "Dismissed",
    resolved: "Resolved",
  } as Record<string, string>,
};

export type Messages = typeof en;

const de: Messages = {
  errorsTitle: "bexio-Synchronisationsfehler",
  waiting: "Warten auf das Saleor-Dashboard…",
  loading: "Wird geladen…",
  loadFailed: "Die bexio-App konnte diese Seite nicht laden:",
  reload: "Neu laden",
  connected: (company, user) => `bexio verbunden: ${company}${user ? ` (${user})` : ""}`,
  connectedPlain: "bexio verbunden",
  broken: (reason) => `bexio-Verbindung unterbrochen: ${reason}`,
  disconnected: "bexio ist nicht verbunden. Verbinden Sie es in den Einstellungen der App.",
  paused: (since, reason) => `Die Synchronisation mit bexio ist seit ${since} pausiert: ${reason}.`,
  pausedHint:
    "Neue Änderungen warten, bis Sie fortsetzen; beheben oder verwerfen Sie zuerst die Fehler unten.",
  pauseConnectionBroken: "die bexio-Verbindung ist unterbrochen",
  pauseUnresolvedErrors: (count) => `${count} ungelöste${count === 1 ? "r" : ""} Fehler`,
  resume: "Synchronisation fortsetzen",
  resumed: "Die Synchronisation läuft wieder.",
  showOpen: "Offen",
  showAll: "Alle",
  noErrors: "Keine Synchronisationsfehler. Alles ist in bexio angekommen.",
  colKind: "Art",
  colKey: "Saleor-Objekt",
  colReason: "Ursache",
  colMessage: "Meldung",
  colOccurrences: "Vorkommen",
  colLastSeen: "Zuletzt",
  colStatus: "Status",
  colActions: "",
  retry: "Erneut versuchen",
  dismiss: "Verwerfen",
  retried: (count) => `${count} ${count === 1 ? "Eintrag" : "Einträge"} erneut eingeplant.`,
  dismissed: (count) => `${count} ${count === 1 ? "Eintrag" : "Einträge"} verworfen.`,
  forbidden: "Dafür brauchen Sie die Berechtigung MANAGE_APPS.",
  filterStatus: "Status",
  filterKind: "Art",
  filterReason: "Ursache",
  anyKind: "Alle Arten",
  anyReason: "Alle Ursachen",
  selectAll: "Alle offenen Einträge dieser Seite auswählen",
  selectEntry: (key) => `${key} auswählen`,
  selectedCount: (count) => `${count} ausgewählt`,
  retrySelected: "Auswahl erneut versuchen",
  dismissSelected: "Auswahl verwerfen",
  confirmRetry: (count) =>
    `${count} ${count === 1 ? "Eintrag" : "Einträge"} erneut versuchen? Die Arbeit wird neu eingeplant.`,
  confirmDismiss: (count) =>
    `${count} ${count === 1 ? "Eintrag" : "Einträge"} verwerfen? Die fehlgeschlagene Arbeit wird verworfen und nicht wiederholt.`,
  cancel: "Abbrechen",
  progressTitle: "Fortschritt der Synchronisation",
  backfillSince: (date) => `erstellt seit ${date}`,
  backfillCount: (done, total) =>
    total === null ? `${done} eingeplant, wird gezählt…` : `${done} von ${total}`,
  backfillStatuses: {
    running: "Läuft",
    done: "Fertig",
    failed: "Angehalten",
  },
  entities: {
    orders: "Bestellungen",
    customers: "Kunden",
    products: "Produkte",
    products_dry_run: "Produkte (Probelauf)",
  },
  kinds: {
    sync_order: "Bestellung",
    sync_customer: "Kunde",
    sync_product: "Produkt",
    poll_invoices: "Rechnungsabgleich",
    poll_articles: "Artikelabgleich",
    backfill: "Nachsynchronisation",
    app_installed: "Installation",
  },
  reasons: {
    transient: "Vorübergehend",
    rejected: "Von bexio abgelehnt",
    config: "Einstellungen",
    auth: "Verbindung",
    not_found: "Nicht gefunden",
    exceeded: "Nach Wiederholungen aufgegeben",
    internal: "Unerwartet",
    manual: "Von Hand zu erledigen",
  },
  statuses: {
    open: "Offen",
    retried: "Erneut versucht",
    dismissed: "Verworfen",
    resolved: "Erledigt",
  },
};

export const messages: Record<Language, Messages> = { en, de };

/** The current dashboard language and its strings. */
export function useMessages(): { language: Language; t: Messages } {
  const language = toLanguage(useDashboardLocale());
  return { language, t: messages[language] };
}

export function formatDateTime(value: string, language: Language): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return value;
  }
  return date.toLocaleString(language === "de" ? "de-CH" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

export function formatDate(value: string, language: Language): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return value;
  }
  return date.toLocaleDateString(language === "de" ? "de-CH" : "en-GB", { dateStyle: "medium" });
}
