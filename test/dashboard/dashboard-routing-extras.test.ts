/**
 * Model aliases and virtual-key fallback chains through the dashboard, in Debian's Chromium
 * (skipped with a notice where /usr/bin/chromium is absent unless HEIMDALL_REQUIRE_SERVICES=1;
 * needs `npm run build`). Routing rules page: the config alias listed read-only, an alias created
 * and replaced in the "Aliases" section, a request for it served by its target (a mock OpenAI
 * upstream on 127.0.0.1), its delete refused (409 shown) while a rule's fallbacks use it. Virtual
 * keys page: a key's fallback chain built in its edit form (add, reorder, remove), a bad entry
 * refused with the API's message and the entry marked, then the chain saved and shown, and a
 * request with the key served by its fallback when the primary answers 503. Screenshots of both
 * pages go to `.test-artifacts/dashboard/`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchDashboardBrowser, skipWithoutChromium, startDashboardTestGateway, type DashboardBrowser, logInToDashboard, adminCallFromPage } from '../../src/testing/dashboard-browser.js';
import type { GovernedTestGateway } from '../../src/testing/governed-test-gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiUsage, writeOpenAiError } from '../../src/testing/openai-chat-sse.js';

function sendMessage(baseUrl: string, model: string, secret?: string): Promise<Response> {
  return fetch(`${baseUrl}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...(secret === undefined ? {} : { 'x-api-key': secret }) },
    body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
  });
}

describe('dashboard aliases and virtual-key fallback chains', { skip: skipWithoutChromium() }, () => {
  let primary: MockUpstream;
  let backup: MockUpstream;
  let gateway: GovernedTestGateway;
  let browser: DashboardBrowser;
  let page: Page;

  before(async () => {
    primary = await startMockUpstream((_request, response) => writeOpenAiError(response, 503, 'the primary is down'));
    backup = await startMockUpstream((request, response) => {
      const model = (request.json as { model?: string } | undefined)?.model ?? 'unknown';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model, text: `answer from ${model}`, usage: openAiUsage(5, 3) })));
    });
    gateway = await startDashboardTestGateway({
      providers: {
        primary: { type: 'openai', base_url: `${primary.url}/v1`, keys: [{ name: 'main', value: 'sk-primary' }] },
        backup: { type: 'openai', base_url: `${backup.url}/v1`, keys: [{ name: 'main', value: 'sk-backup' }] },
      },
      aliases: { 'config-alias': 'backup/gpt-config' },
      routing: { retries: { max_retries: 0, initial_backoff_ms: 1, max_backoff_ms: 5 } },
    });
    browser = await launchDashboardBrowser();
    page = await browser.newPage();
    await logInToDashboard(page, `${gateway.url}/routing`);
    await page.getByRole('heading', { name: 'Routing rules' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
    await primary?.close();
    await backup?.close();
  });

  /** An admin API call from the logged-in page (its session cookie, same origin). */
  const adminCall = (method: string, path: string, body?: unknown) => adminCallFromPage(page, method, path, body);

  it('creates and replaces an alias on the Routing rules page; a request for it is served by its target; a used alias cannot be deleted', async () => {
    const section = page.getByRole('region', { name: 'Aliases' });
    const configRow = section.getByTestId('routing-alias-row').filter({ hasText: 'config-alias' });
    await configRow.getByText('config file').waitFor();
    assert.equal(await configRow.getByRole('button').count(), 0, 'a config alias has no edit or delete');

    const form = section.getByRole('form', { name: 'Save alias' });
    await form.getByLabel('Alias name').fill('team-model');
    await form.getByLabel('Target (provider/model)').fill('nowhere/model-x');
    await form.getByRole('button', { name: 'Save alias' }).click();
    await section.locator('.error-banner').filter({ hasText: 'nowhere' }).waitFor();

    await form.getByLabel('Target (provider/model)').fill('backup/gpt-first');
    await form.getByRole('button', { name: 'Save alias' }).click();
    const row = section.getByTestId('routing-alias-row').filter({ hasText: 'team-model' });
    await row.getByText('backup/gpt-first').waitFor();
    assert.equal(await section.locator('.error-banner').count(), 0);

    // Replace it: "edit" fills the form, the new target is saved over the old one.
    await row.getByRole('button', { name: 'edit' }).click();
    assert.equal(await form.getByLabel('Alias name').inputValue(), 'team-model');
    await form.getByLabel('Target (provider/model)').fill('backup/gpt-aliased');
    await form.getByRole('button', { name: 'Save alias' }).click();
    await row.getByText('backup/gpt-aliased').waitFor();
    await row.getByText('in force').waitFor();

    const before = backup.requests.length;
    const response = await sendMessage(gateway.url, 'team-model');
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get('x-heimdall-provider'), 'backup');
    assert.equal(response.headers.get('x-heimdall-model'), 'gpt-aliased');
    assert.match(text, /answer from gpt-aliased/);
    assert.equal(backup.requests.length, before + 1);
    assert.equal((backup.requests.at(-1)?.json as { model?: string } | undefined)?.model, 'gpt-aliased');
    await browser.screenshot(page, 'routing-aliases');

    // A rule whose fallbacks name the alias: deleting it is refused, the 409's message shown.
    const rule = await adminCall('POST', '/api/routing/rules', { name: 'uses-alias', expression: 'model == "never-sent"', targets: [{ provider: 'primary', model: 'gpt-x' }], fallbacks: ['team-model'] });
    assert.equal(rule.status, 201, JSON.stringify(rule.data));
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete alias team-model' }).click();
    await section.locator('.error-banner').filter({ hasText: "is a fallback of routing rule 'uses-alias'" }).waitFor();
    await row.waitFor();

    assert.equal((await adminCall('DELETE', '/api/routing/rules/uses-alias')).status, 204);
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete alias team-model' }).click();
    await section.getByRole('status').filter({ hasText: 'Alias team-model deleted.' }).waitFor();
    assert.equal(await row.count(), 0);
    const gone = await sendMessage(gateway.url, 'team-model');
    assert.notEqual(gone.status, 200, 'a deleted alias no longer resolves');
    await gone.text();
  });

  it('edits a key\'s fallback chain (add, reorder, remove; a bad entry marked) and the fallback serves when the primary answers 503', async () => {
    await page.getByRole('link', { name: 'Virtual keys' }).click();
    await page.getByRole('heading', { name: 'Virtual keys' }).waitFor();
    await page.getByRole('button', { name: 'New virtual key' }).click();
    const create = page.getByRole('form', { name: 'New virtual key' });
    await create.getByLabel('Name', { exact: true }).fill('with-fallbacks');
    await create.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret-value').textContent()) ?? '';
    assert.match(secret, /^hk-/);

    const keyRow = page.getByTestId('virtual-key-row').filter({ hasText: 'with-fallbacks' });
    await keyRow.getByTestId('key-fallbacks').getByText('none').waitFor();
    await keyRow.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit with-fallbacks' });
    const chain = edit.getByRole('group', { name: 'Fallback' });
    await chain.getByRole('button', { name: 'Add fallback' }).click();
    await chain.getByLabel('Fallback 1', { exact: true }).fill('backup/gpt-second');
    await chain.getByRole('button', { name: 'Add fallback' }).click();
    await chain.getByLabel('Fallback 2', { exact: true }).fill('nowhere/model-x');
    await chain.getByRole('button', { name: 'Add fallback' }).click();
    await chain.getByLabel('Fallback 3', { exact: true }).fill('backup/gpt-rescue');
    // Move the third entry to the top: backup/gpt-rescue, backup/gpt-second, nowhere/model-x.
    await chain.getByRole('button', { name: 'Move fallback 3 up' }).click();
    await chain.getByRole('button', { name: 'Move fallback 2 up' }).click();
    assert.deepEqual(await Promise.all([1, 2, 3].map((position) => chain.getByLabel(`Fallback ${position}`, { exact: true }).inputValue())), ['backup/gpt-rescue', 'backup/gpt-second', 'nowhere/model-x']);

    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.locator('.error-banner').filter({ hasText: 'nowhere' }).waitFor();
    assert.equal(await chain.getByLabel('Fallback 3', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await chain.getByLabel('Fallback 1', { exact: true }).getAttribute('aria-invalid'), 'false');
    assert.deepEqual(((await adminCall('GET', '/api/virtual-keys/with-fallbacks')).data as { fallbacks: string[] }).fallbacks, [], 'nothing saved');
    await browser.screenshot(page, 'virtual-key-fallbacks-error');

    await chain.getByRole('button', { name: 'Remove fallback 3' }).click();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByText('Saved.').waitFor();
    await keyRow.getByTestId('key-fallbacks').getByText('backup/gpt-rescue → backup/gpt-second').waitFor();
    assert.deepEqual(((await adminCall('GET', '/api/virtual-keys/with-fallbacks')).data as { fallbacks: string[] }).fallbacks, ['backup/gpt-rescue', 'backup/gpt-second']);
    await browser.screenshot(page, 'virtual-key-fallbacks');

    const before = { primary: primary.requests.length, backup: backup.requests.length };
    const response = await sendMessage(gateway.url, 'primary/gpt-primary', secret);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get('x-heimdall-provider'), 'backup');
    assert.equal(response.headers.get('x-heimdall-model'), 'gpt-rescue');
    assert.match(text, /answer from gpt-rescue/);
    assert.equal(primary.requests.length, before.primary + 1, 'the primary tried once (no retries configured)');
    assert.equal(backup.requests.length, before.backup + 1);

    // Without the key, the same request has no fallback: the primary's 503 reaches the client (as Anthropic's 529 overloaded_error).
    const unkeyed = await sendMessage(gateway.url, 'primary/gpt-primary');
    const unkeyedText = await unkeyed.text();
    assert.equal(unkeyed.status, 529, unkeyedText);
    assert.match(unkeyedText, /overloaded_error/);
    assert.deepEqual(browser.pageErrors, []);
  });
});
