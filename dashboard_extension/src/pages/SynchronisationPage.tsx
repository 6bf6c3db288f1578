import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";

import { useSettingsMessages } from "../i18n.settings";
import { DEFAULT_PRODUCTS, ProductSyncSection, useProductSyncOptions } from "./ProductSyncSection";
import {
  ChoiceSelect,
  formValue,
  idValue,
  masterDataChoices,
  MasterDataNotice,
  PageFrame,
  type Problem,
  ProblemList,
  saveSettings,
  type SettingsJson,
  useMasterData,
  usePageData,
} from "./settingsCommon";

const QUERY = `query SynchronisationPage { settings { json } }`;

function savedProducts(json: SettingsJson): SettingsJson {
  const products = json.products;
  return typeof products === "object" && products !== null ? (products as SettingsJson) : {};
}

/** `/app/synchronisation`: how customers become bexio contacts, the revenue account, and products. */
export function SynchronisationPage() {
  const { s } = useSettingsMessages();
  const { ready, data, failure, reload } = usePageData<{ settings: { json: SettingsJson } }>(QUERY);
  const master = useMasterData();
  const options = useProductSyncOptions();
  const [revenueAccount, setRevenueAccount] = useState("");
  const [products, setProducts] = useState<SettingsJson>(DEFAULT_PRODUCTS);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const choices = masterDataChoices(master.result);

  useEffect(() => {
    if (data) {
      setRevenueAccount(formValue(data.settings.json.revenue_account_id));
      setProducts({ ...DEFAULT_PRODUCTS, ...savedProducts(data.settings.json) });
    }
  }, [data]);

  const withProducts = options.state !== "absent" && data !== null && "products" in data.settings.json;

  const save = async () => {
    if (!data) {
      return;
    }
    setBusy(true);
    const changes: SettingsJson = { revenue_account_id: idValue(revenueAccount) };
    if (withProducts) {
      changes.products = products;
    }
    const saved = await saveSettings(data.settings.json, changes, s, setProblems);
    setBusy(false);
    if (saved) {
      await reload();
    }
  };

  return (
    <PageFrame
      testId="synchronisation-page"
      title={s.syncPageTitle}
      ready={ready}
      loaded={data !== null}
      failure={failure}
      onReload={() => void reload()}
    >
      {() => (
        <>
          <ProblemList problems={problems} s={s} />
          <Box as="section" data-testid="contacts-explained" display="flex" flexDirection="column" gap={2}>
            <Text as="h2" size={7} fontWeight="bold">
              {s.contactsTitle}
            </Text>
            {[s.contactsDirection, s.contactsKey, s.contactsFields, s.contactsWhen].map((text) => (
              <Text as="p" key={text} size={3}>
                {text}
              </Text>
            ))}
          </Box>
          <Box as="section" data-testid="revenue-account" display="flex" flexDirection="column" gap={2}>
            <Text as="h2" size={7} fontWeight="bold">
              {s.revenueTitle}
            </Text>
            <Text as="p" size={2} color="default2">
              {s.revenueHint}
            </Text>
            <MasterDataNotice {...master} onRefresh={() => void master.refresh()} />
            <ChoiceSelect
              settingKey="revenue_account_id"
              label={s.revenueAccount}
              value={revenueAccount}
              choices={choices?.revenue_account_id ?? null}
              invalid={problems.some((p) => p.setting === "revenue_account_id")}
              onChange={setRevenueAccount}
            />
          </Box>
          {withProducts && data ? (
            <ProductSyncSection
              options={options}
              value={products}
              saved={savedProducts(data.settings.json)}
              problems={problems}
              onChange={setProducts}
            />
          ) : null}
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
