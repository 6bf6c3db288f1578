import { useDashboardLocale } from "./appBridge";
import { type Language, toLanguage } from "./i18n";

/** Strings of the VAT tab, the order widget and the "Sync to bexio" popup. */
const en = {
  vatTitle: "VAT",
  vatIntro:
    "Each VAT rate of the shop needs a bexio sales tax with the same rate. Rates without one stop their orders from reaching bexio.",
  vatOk: "Every VAT rate of the shop is mapped to a usable bexio tax.",
  vatProblems: (count: number) =>
    `${count} ${count === 1 ? "problem needs" : "problems need"} your attention.`,
  notConnected: (reason: string) => `bexio is not connected: ${reason}`,
  unavailable: (reason: string) => `bexio or Saleor did not answer: ${reason}`,
  colCountry: "Country",
  colClass: "Tax class",
  colRate: "Rate",
  colBexioTax: "bexio tax",
  colMapTo: "Map to",
  colProblem: "Problem",
  defaultRate: "Default rate",
  noRates: "The shop has no tax rates yet.",
  notMapped: "Not mapped",
  chooseTax: "— choose a bexio tax —",
  keep: "(keep as is)",
  suggestion: (label: string) => `Suggested: ${label}`,
  sources: {
    exempt: "tax-free",
    class_id: "by tax class",
    class_name: "by class name",
    class_metadata: "class metadata",
    rate: "by rate",
  } as Record<string, string>,
  problemKinds: {
    unmapped: "Not mapped",
    unknown_tax: "Unknown bexio tax",
    inactive: "Inactive in bexio",
    not_sales_tax: "Not a sales tax",
    rate_mismatch: "Rate differs",
    invalid_metadata: "Invalid metadata",
  } as Record<string, string>,
  exemptTax: "bexio tax for tax-free sales (0 %, exports)",
  none: "— none —",
  bexioTaxesTitle: "bexio's active sales taxes",
  saveMapping: "Save mapping",
  mappingSaved: "VAT mapping saved.",
  mappingInvalid: "The VAT mapping was not saved:",
  forbidden: "You need the MANAGE_APPS permission for this.",
  otherProblems: "Other problems",
  // order widget
  widgetTitle: "bexio",
  noDocuments: "No bexio documents for this order yet.",
  noOrder: "No order was given to this page.",
  kinds: { order: "Order", invoice: "Invoice", delivery: "Delivery" } as Record<string, string>,
  statuses: {
    draft: "Draft",
    pending: "Open",
    unpaid: "Overdue",
    partial: "Partly paid",
    paid: "Paid",
    cancelled: "Cancelled",
    deleted: "Deleted in bexio",
  } as Record<string, string>,
  openInBexio: "Open in bexio",
  liveError: (reason: string) => `Current details unavailable: ${reason}`,
  actionsDone: "Done in bexio:",
  actions: {
    create_order: "order created",
    create_invoice: "invoice created",
    issue_invoice: "invoice issued",
    send_invoice: "invoice sent",
    record_payment: "payment recorded",
    create_delivery: "delivery created",
    cancel_invoice: "invoice cancelled",
  } as Record<string, string>,
  // sync popup
  syncTitle: "Sync to bexio",
  syncing: "Queuing the sync…",
  syncAgain: "Sync again",
  outcomes: {
    QUEUED: "The order is queued for the sync to bexio.",
    ALREADY_QUEUED: "The order was already queued for the sync to bexio.",
    RETRIED: "The failed sync of this order is retried.",
  } as Record<string, string>,
  outcomeTitles: {
    QUEUED: "Queued for bexio",
    ALREADY_QUEUED: "Already queued for bexio",
    RETRIED: "Retried in bexio",
  } as Record<string, string>,
  pausedNote: (reason: string) =>
    `The sync is paused (${reason}): the order waits until you resume it on the bexio errors page.`,
  syncFailed: "The sync could not be queued:",
};

export type VatMessages = typeof en;

const de: VatMessages = {
  vatTitle: "MWST",
  vatIntro:
    "Jeder MWST-Satz des Shops braucht eine bexio-Umsatzsteuer mit demselben Satz. Bestellungen mit Sätzen ohne Zuordnung gelangen nicht nach bexio.",
  vatOk: "Jeder MWST-Satz des Shops ist einer verwendbaren bexio-Steuer zugeordnet.",
  vatProblems: (count) =>
    `${count} ${count === 1 ? "Problem braucht" : "Probleme brauchen"} Ihre Aufmerksamkeit.`,
  notConnected: (reason) => `bexio ist nicht verbunden: ${reason}`,
  unavailable: (reason) => `bexio oder Saleor hat nicht geantwortet: ${reason}`,
  colCountry: "Land",
  colClass: "Steuerklasse",
  colRate: "Satz",
  colBexioTax: "bexio-Steuer",
  colMapTo: "Zuordnen zu",
  colProblem: "Problem",
  defaultRate: "Standardsatz",
  noRates: "Der Shop hat noch keine Steuersätze.",
  notMapped: "Nicht zugeordnet",
  chooseTax: "— bexio-Steuer wählen —",
  keep: "(unverändert)",
  suggestion: (label) => `Vorschlag: ${label}`,
  sources: {
    exempt: "steuerfrei",
    class_id: "nach Steuerklasse",
    class_name: "nach Klassenname",
    class_metadata: "Klassen-Metadaten",
    rate: "nach Satz",
  },
  problemKinds: {
    unmapped: "Nicht zugeordnet",
    unknown_tax: "Unbekannte bexio-Steuer",
    inactive: "In bexio inaktiv",
    not_sales_tax: "Keine Umsatzsteuer",
    rate_mismatch: "Satz weicht ab",
    invalid_metadata: "Ungültige Metadaten",
  },
  exemptTax: "bexio-Steuer für steuerfreie Verkäufe (0 %, Export)",
  none: "— keine —",
  bexioTaxesTitle: "Aktive Umsatzsteuern in bexio",
  saveMapping: "Zuordnung speichern",
  mappingSaved: "MWST-Zuordnung gespeichert.",
  mappingInvalid: "Die MWST-Zuordnung wurde nicht gespeichert:",
  forbidden: "Dafür brauchen Sie die Berechtigung MANAGE_APPS.",
  otherProblems: "Weitere Probleme",
  widgetTitle: "bexio",
  noDocuments: "Noch keine bexio-Dokumente zu dieser Bestellung.",
  noOrder: "Dieser Seite wurde keine Bestellung übergeben.",
  kinds: { order: "Auftrag", invoice: "Rechnung", delivery: "Lieferschein" },
  statuses: {
    draft: "Entwurf",
    pending: "Offen",
    unpaid: "Überfällig",
    partial: "Teilweise bezahlt",
    paid: "Bezahlt",
    cancelled: "Storniert",
    deleted: "In bexio gelöscht",
  },
  openInBexio: "In bexio öffnen",
  liveError: (reason) => `Aktuelle Angaben nicht verfügbar: ${reason}`,
  actionsDone: "In bexio erledigt:",
  actions: {
    create_order: "Auftrag erstellt",
    create_invoice: "Rechnung erstellt",
    issue_invoice: "Rechnung ausgestellt",
    send_invoice: "Rechnung versandt",
    record_payment: "Zahlung verbucht",
    create_delivery: "Lieferschein erstellt",
    cancel_invoice: "Rechnung storniert",
  },
  syncTitle: "Mit bexio synchronisieren",
  syncing: "Synchronisation wird eingeplant…",
  syncAgain: "Erneut synchronisieren",
  outcomes: {
    QUEUED: "Die Bestellung ist für die Synchronisation mit bexio eingeplant.",
    ALREADY_QUEUED: "Die Bestellung war bereits für die Synchronisation mit bexio eingeplant.",
    RETRIED: "Die fehlgeschlagene Synchronisation dieser Bestellung wird erneut versucht.",
  },
  outcomeTitles: {
    QUEUED: "Für bexio eingeplant",
    ALREADY_QUEUED: "Bereits für bexio eingeplant",
    RETRIED: "Erneut versucht",
  },
  pausedNote: (reason) =>
    `Die Synchronisation ist pausiert (${reason}): Die Bestellung wartet, bis Sie sie auf der bexio-Fehlerseite fortsetzen.`,
  syncFailed: "Die Synchronisation konnte nicht eingeplant werden:",
};

export const vatMessages: Record<Language, VatMessages> = { en, de };

/** The current dashboard language and the strings of the VAT and order pages. */
export function useVatMessages(): { language: Language; v: VatMessages } {
  const language = toLanguage(useDashboardLocale());
  return { language, v: vatMessages[language] };
}

/** An amount as the merchant reads it (CHF-style grouping; currency shown by the dashboard). */
export function formatAmount(value: string, language: Language): string {
  const number = Number(value);
  if (!Number.isFinite(number)) {
    return value;
  }
  return number.toLocaleString(language === "de" ? "de-CH" : "en-CH", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
}
