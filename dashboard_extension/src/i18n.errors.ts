import type { Language } from "./i18n";

/**
 * The app's merchant messages by code (errors.py `MessageCode`), in English and German.
 *
 * The backend stores each error's English `userMessage` with an optional `messageCode` and
 * `messageParams`. A known code with all its params is shown in the dashboard's language; an
 * unknown code, a missing param or a value this file has no words for falls back to
 * `userMessage`. The English texts equal the backend's (test/coded-messages.json checks it).
 */
export type MessageParams = Record<string, unknown>;

type Values = Record<string, string>;
/** Renders the text from complete params; null when a value has no translation here. */
type Render = (p: Values) => string | null;

interface Template {
  params: readonly string[];
  render: Render;
}

function template(params: readonly string[], render: Render): Template {
  return { params, render };
}

/** `map[key]` for the map's own keys only (never an inherited property). */
function lookup<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

interface Subjects {
  shipping: string;
  anyLine: string;
  line: (name: string) => string;
  taxed: (subject: string, taxClass: string, rate: string) => string;
}

const SUBJECT_EN: Subjects = {
  shipping: "The shipping charge",
  anyLine: "A line",
  line: (name) => `The line “${name}”`,
  taxed: (subject, taxClass, rate) => (taxClass ? `${subject} (tax class “${taxClass}”, ${rate})` : `${subject} (${rate})`),
};

const SUBJECT_DE: Subjects = {
  shipping: "Die Versandkosten",
  anyLine: "Eine Position",
  line: (name) => `Die Position „${name}“`,
  taxed: (subject, taxClass, rate) =>
    taxClass ? `${subject} (Steuerklasse „${taxClass}“, ${rate})` : `${subject} (${rate})`,
};

/** What a VAT text starts with: the shipping charge, a named line or any line, with its tax. */
function vatSubject(words: Subjects, p: Values): string | null {
  let subject: string;
  if (p.item === "shipping") {
    subject = words.shipping;
  } else if (p.item === "line") {
    subject = p.line ? words.line(p.line) : words.anyLine;
  } else {
    return null;
  }
  return words.taxed(subject, p.taxClass, p.rate);
}

const VAT = ["item", "line", "taxClass", "rate"] as const;
const RECONNECT_EN = "Reconnect bexio on the app's settings page.";
const RECONNECT_DE = "Verbinden Sie bexio in den Einstellungen der App neu.";
const LATER_EN = "the app will try again later.";
const LATER_DE = "die App versucht es später erneut.";

const SETTING_EN: Values = {
  bexio_user: "bexio user",
  revenue_account: "bexio revenue account",
  payment_account: "bexio bank account for payments",
};
const SETTING_DE: Values = {
  bexio_user: "den bexio-Benutzer",
  revenue_account: "das bexio-Erlöskonto",
  payment_account: "das bexio-Bankkonto für Zahlungen",
};

/** bexio's objects (the API client's `what`) as the object of "bexio hat … abgelehnt". */
const OBJECT_DE: Values = {
  contact: "den Kontakt",
  product: "den Artikel",
  order: "den Auftrag",
  invoice: "die Rechnung",
  delivery: "die Lieferung",
  payment: "die Zahlung",
};
/** bexio's field names in the German the merchant knows; others are shown as bexio names them. */
const FIELD_DE: Values = {
  contact_type_id: "Kontaktart",
  name_1: "Name (Nachname oder Firma)",
  name_2: "Vorname oder Firmenzusatz",
  mail: "E-Mail-Adresse",
  user_id: "bexio-Benutzer",
  owner_id: "bexio-Besitzer",
  country_id: "Land",
  language_id: "Sprache",
  street_name: "Strasse",
  house_number: "Hausnummer",
  contact_id: "Kunde (bexio-Kontakt)",
  account_id: "Erlöskonto",
  tax_id: "MWST-Satz",
  tax_income_id: "MWST-Satz",
  unit_id: "Einheit",
  unit_price: "Preis",
  amount: "Menge",
  article_id: "bexio-Artikel",
  intern_code: "SKU (bexio-Artikelnummer)",
  intern_name: "Produktname",
  sale_price: "Verkaufspreis",
  currency_id: "Währung",
  bank_account_id: "Bankkonto",
  payment_type_id: "Zahlungsart",
  document_nr: "Dokumentnummer",
  is_valid_from: "Dokumentdatum",
  is_valid_to: "Fälligkeitsdatum",
  stock_nr: "Lagerbestand",
};

const en: Record<string, Template> = {
  vat_rate_unmapped: template(VAT, (p) => {
    const item = vatSubject(SUBJECT_EN, p);
    return item && `${item}: the VAT rate ${p.rate} is not mapped to a bexio tax. Map it in the VAT tab.`;
  }),
  vat_tax_inactive: template([...VAT, "tax"], (p) => {
    const item = vatSubject(SUBJECT_EN, p);
    return (
      item &&
      `${item} is mapped to bexio tax ${p.tax}, which is inactive in bexio. ` +
        "Activate it in bexio or choose an active tax in the VAT tab."
    );
  }),
  vat_rate_mismatch: template([...VAT, "tax"], (p) => {
    const item = vatSubject(SUBJECT_EN, p);
    return (
      item &&
      `${item} is mapped to bexio tax ${p.tax}, but was taxed at ${p.rate} in Saleor. ` +
        "Map it to a bexio tax with that rate."
    );
  }),
  bexio_not_connected: template([], () => "bexio is not connected. Connect bexio on the app's settings page."),
  bexio_connection_revoked: template(
    [],
    () =>
      "bexio no longer accepts the connection (access was revoked or the bexio user was removed). " +
      RECONNECT_EN,
  ),
  bexio_unauthorized: template([], () => `bexio no longer accepts the app's connection. ${RECONNECT_EN}`),
  bexio_unavailable: template(["status"], (p) => `bexio is not working right now (HTTP ${p.status}); ${LATER_EN}`),
  bexio_unreachable: template([], () => `bexio could not be reached; ${LATER_EN}`),
  bexio_timeout: template([], () => `bexio did not answer in time; ${LATER_EN}`),
  // The backend's English names each field's problem and a hint: more than the params carry.
  bexio_rejected: template(["what", "fields"], () => null),
  setting_missing: template(["setting"], (p) => {
    const name = lookup(SETTING_EN, p.setting);
    return name === undefined ? null : `Set the ${name} in the app's general settings.`;
  }),
  stock_refused: template(
    ["sku", "quantity"],
    (p) =>
      `bexio did not accept the stock of article ${p.sku} (${p.quantity}): bexio lets apps set an ` +
      "article's stock only until its first stock booking (an order, delivery or stock " +
      "correction), and this article already has bookings. Correct the stock in bexio " +
      "itself, or in the app's product settings make bexio the master of stock (or turn " +
      "stock sync off) so the shop stops sending it.",
  ),
  duplicate_article_number: template(
    ["number"],
    (p) =>
      `Several bexio articles have the article number ${p.number}, so the app cannot ` +
      "tell which one belongs to the shop's variant with that SKU. Give each " +
      "article in bexio its own number (or delete the extra ones).",
  ),
  refund_credit_note: template(
    ["order", "amount", "invoice"],
    (p) =>
      `Manual step: order ${p.order} was refunded ${p.amount} in Saleor. Create a credit note for ` +
      `${p.invoice ? `invoice ${p.invoice}` : "the invoice"} in bexio (bexio has no credit-note API).`,
  ),
  sync_halted: template([], () => "The sync stopped responding too many times and was halted."),
  send_unconfirmed: template(
    ["invoice", "order"],
    (p) =>
      `The connection to bexio broke while it was e-mailing invoice ${p.invoice} of order ` +
      `${p.order}, so it may or may not have gone out. The app does not send it again, ` +
      "to be sure the customer does not get it twice: check the invoice's history in bexio " +
      "and send it from there if it is missing.",
  ),
};

const de: Record<string, Template> = {
  vat_rate_unmapped: template(VAT, (p) => {
    const item = vatSubject(SUBJECT_DE, p);
    return (
      item &&
      `${item}: Der MWST-Satz ${p.rate} ist keiner bexio-Steuer zugeordnet. Ordnen Sie ihn im Tab MWST zu.`
    );
  }),
  vat_tax_inactive: template([...VAT, "tax"], (p) => {
    const item = vatSubject(SUBJECT_DE, p);
    return (
      item &&
      `${item} ist der bexio-Steuer ${p.tax} zugeordnet, die in bexio inaktiv ist. ` +
        "Aktivieren Sie sie in bexio oder wählen Sie im Tab MWST eine aktive Steuer."
    );
  }),
  vat_rate_mismatch: template([...VAT, "tax"], (p) => {
    const item = vatSubject(SUBJECT_DE, p);
    return (
      item &&
      `${item} ist der bexio-Steuer ${p.tax} zugeordnet, wurde in Saleor aber mit ${p.rate} besteuert. ` +
        "Ordnen Sie eine bexio-Steuer mit diesem Satz zu."
    );
  }),
  bexio_not_connected: template(
    [],
    () => "bexio ist nicht verbunden. Verbinden Sie bexio in den Einstellungen der App.",
  ),
  bexio_connection_revoked: template(
    [],
    () =>
      "bexio akzeptiert die Verbindung nicht mehr (der Zugriff wurde widerrufen oder der " +
      `bexio-Benutzer entfernt). ${RECONNECT_DE}`,
  ),
  bexio_unauthorized: template([], () => `bexio akzeptiert die Verbindung der App nicht mehr. ${RECONNECT_DE}`),
  bexio_unavailable: template(
    ["status"],
    (p) => `bexio funktioniert gerade nicht (HTTP ${p.status}); ${LATER_DE}`,
  ),
  bexio_unreachable: template([], () => `bexio war nicht erreichbar; ${LATER_DE}`),
  bexio_timeout: template([], () => `bexio hat nicht rechtzeitig geantwortet; ${LATER_DE}`),
  bexio_rejected: template(["what", "fields"], (p) => {
    const object = lookup(OBJECT_DE, p.what);
    if (object === undefined) {
      return null;
    }
    const fields = p.fields
      .split(",")
      .filter(Boolean)
      .map((field) => lookup(FIELD_DE, field) ?? field);
    const named = fields.length ? ` Betroffene Felder: ${fields.join(", ")}.` : "";
    return `bexio hat ${object} abgelehnt.${named}`;
  }),
  setting_missing: template(["setting"], (p) => {
    const name = lookup(SETTING_DE, p.setting);
    return name === undefined ? null : `Legen Sie ${name} in den allgemeinen Einstellungen der App fest.`;
  }),
  stock_refused: template(
    ["sku", "quantity"],
    (p) =>
      `bexio hat den Lagerbestand von Artikel ${p.sku} (${p.quantity}) nicht angenommen: bexio ` +
      "lässt Apps den Lagerbestand eines Artikels nur bis zur ersten Lagerbuchung (Auftrag, " +
      "Lieferung oder Lagerkorrektur) setzen, und dieser Artikel hat bereits Buchungen. " +
      "Korrigieren Sie den Bestand direkt in bexio, oder machen Sie in den Produkteinstellungen " +
      "der App bexio zum Master des Lagerbestands (oder schalten Sie die Lagersynchronisation " +
      "aus), damit der Shop ihn nicht mehr sendet.",
  ),
  duplicate_article_number: template(
    ["number"],
    (p) =>
      `Mehrere bexio-Artikel haben die Artikelnummer ${p.number}, daher kann die App nicht ` +
      "erkennen, welcher zur Variante des Shops mit dieser SKU gehört. Geben Sie jedem Artikel " +
      "in bexio eine eigene Nummer (oder löschen Sie die überzähligen).",
  ),
  refund_credit_note: template(
    ["order", "amount", "invoice"],
    (p) =>
      `Manueller Schritt: Für Bestellung ${p.order} wurden in Saleor ${p.amount} erstattet. Erstellen Sie ` +
      `in bexio eine Gutschrift für ${p.invoice ? `die Rechnung ${p.invoice}` : "die Rechnung"} ` +
      "(bexio hat keine Schnittstelle für Gutschriften).",
  ),
  sync_halted: template(
    [],
    () => "Die Synchronisation hat zu oft nicht mehr reagiert und wurde angehalten.",
  ),
  send_unconfirmed: template(
    ["invoice", "order"],
    (p) =>
      `Die Verbindung zu bexio brach ab, während die Rechnung ${p.invoice} der Bestellung ` +
      `${p.order} per E-Mail versandt wurde; ob sie verschickt wurde, ist unklar. Die App sendet ` +
      "sie nicht noch einmal, damit der Kunde sie nicht doppelt erhält: Prüfen Sie den Verlauf " +
      "der Rechnung in bexio und senden Sie sie von dort, falls sie fehlt.",
  ),
};

const templates: Record<Language, Record<string, Template>> = { en, de };

/** The codes this dashboard translates (both languages know the same ones). */
export const MESSAGE_CODES: readonly string[] = Object.keys(en);

function values(names: readonly string[], params: MessageParams): Values | null {
  const found: Values = {};
  for (const name of names) {
    const value = params[name];
    if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) {
      found[name] = String(value);
    } else {
      return null;
    }
  }
  return found;
}

/** The merchant message in `language`: the coded text when complete, else `userMessage`. */
export function errorText(
  language: Language,
  error: { userMessage: string; messageCode?: string | null; messageParams?: MessageParams | null },
): string {
  const code = error.messageCode;
  const known = code ? lookup(templates[language], code) : undefined;
  if (known === undefined) {
    return error.userMessage;
  }
  const found = values(known.params, error.messageParams ?? {});
  return (found && known.render(found)) || error.userMessage;
}
