import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { FakeApi } from "../test/api";
import { renderPage } from "../test/render";
import { VatPage } from "./VatPage";

const UN81 = { id: 14, code: "UN81", name: "UN81", label: "UN81 - 8.1 %", percentage: "8.1", isActive: true, type: "sales" };
const US38 = { id: 16, code: "US38", name: "US38", label: "US38 - 3.8 %", percentage: "3.8", isActive: true, type: "sales" };

function rate(value: string) {
  return { countryCode: "CH", rate: value, taxClassId: null, taxClassName: null };
}

function overview(mapping: Record<string, unknown>) {
  const byRate = (mapping.by_rate ?? {}) as Record<string, number>;
  const rows = ["8.1", "3.8"].map((value) => {
    const taxId = byRate[value];
    const tax = [UN81, US38].find((t) => t.id === taxId) ?? null;
    return {
      shopRate: rate(value),
      bexioTax: tax,
      source: tax ? "rate" : null,
      suggestion: tax ? null : US38,
      problem: tax ? null : { kind: "unmapped", message: `The shop's rate ${value} % has no bexio tax.` },
    };
  });
  const problems = rows.filter((row) => row.problem).map((row) => ({ ...row.problem!, shopRate: row.shopRate }));
  return { __typename: "VatOverview", ok: problems.length === 0, mapping, rows, bexioTaxes: [UN81, US38], problems };
}

describe("VatPage", () => {
  it("highlights the unmapped rate and saves the chosen bexio tax for it", async () => {
    let mapping: Record<string, unknown> = { version: 1, by_rate: { "8.1": 14 } };
    const api = new FakeApi({
      VatPage: () => ({ vatOverview: overview(mapping) }),
      SaveVat: (variables) => {
        mapping = variables.json as Record<string, unknown>;
        return { saveVatMapping: { __typename: "VatMappingSaved" } };
      },
    });
    renderPage(<VatPage />, "/app/vat");
    const summary = await screen.findByTestId("vat-summary");
    expect(summary.getAttribute("data-ok")).toBe("false");
    expect(summary.textContent).toBe("1 problem needs your attention.");
    const [mapped, unmapped] = screen.getAllByTestId("vat-row");
    expect(mapped.getAttribute("data-status")).toBe("ok");
    expect(within(mapped).getByTestId("vat-mapped").textContent).toContain("UN81 - 8.1 %");
    expect(unmapped.getAttribute("data-rate")).toBe("3.8");
    expect(unmapped.getAttribute("data-status")).toBe("problem");
    expect(within(unmapped).getByTestId("vat-mapped").textContent).toBe("Not mapped");
    expect(within(unmapped).getByTestId("vat-problem").textContent).toContain("3.8 %");
    // when the merchant maps 3.8 % to US38 and saves
    fireEvent.change(within(unmapped).getByTestId("vat-choice"), { target: { value: "16" } });
    fireEvent.click(screen.getByTestId("vat-save"));
    await waitFor(() => expect(api.callsOf("SaveVat")).toHaveLength(1));
    expect((mapping.by_rate as Record<string, number>)["3.8"]).toBe(16);
    expect((mapping.by_rate as Record<string, number>)["8.1"]).toBe(14);
    // then the overview is read again and nothing is highlighted any more
    await waitFor(() => expect(screen.getByTestId("vat-summary").getAttribute("data-ok")).toBe("true"));
    expect(screen.getAllByTestId("vat-row").map((row) => row.getAttribute("data-status"))).toEqual(["ok", "ok"]);
  });

  it("says so when bexio is not connected", async () => {
    new FakeApi({
      VatPage: () => ({ vatOverview: { __typename: "BexioNotConnected", message: "Connect bexio first." } }),
    });
    renderPage(<VatPage />, "/app/vat");
    const notice = await screen.findByTestId("vat-unavailable");
    expect(notice.textContent).toBe("bexio is not connected: Connect bexio first.");
  });
});
