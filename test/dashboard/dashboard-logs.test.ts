/**
 * The Logs page in Debian's Chromium (skipped with a notice where /usr/bin/chromium is absent
 * unless HEIMDALL_REQUIRE_SERVICES=1; the dashboard is built first when stale): requests sent through
 * `/anthropic/v1/messages` to a mock upstream appear in the live tail without a reload; the list
 * filters; a request's detail shows its conversation with the tool call and its result, thinking,
 * the attempts and the usage, and the request sent upstream with the provider's raw answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anthropicMessageFromEvents, anthropicTextEvents, anthropicToolUseEvents, writeAnthropicSse } from '../../src/testing/anthropic-sse.js';
import type { GovernedTestGateway } from '../../src/testing/governed-test-gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/testing/mock-upstream.js';
import { launchDashboardBrowser, skipWithoutChromium, startDashboardTestGateway, type DashboardBrowser, logInToDashboard } from '../../src/testing/dashboard-browser.js';

const MODEL = 'claude-sonnet-4-5';

/** A Messages request; with `tool`, the conversation carries an earlier tool call and its result. */
function messagesRequest(text: string, options: { tools?: boolean; stream?: boolean } = {}) {
  const messages: unknown[] = [{ role: 'user', content: text }];
  if (options.tools === true) {
    messages.push(
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'The user wants the weather; call the tool.', signature: 'sig' }, { type: 'tool_use', id: 'toolu_weather_1', name: 'get_weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_weather_1', content: 'Oslo: 4 °C, light snow' }] },
    );
  }
  return {
    model: MODEL,
    max_tokens: 256,
    stream: options.stream ?? true,
    ...(options.tools === true ? { tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }] } : {}),
    messages,
  };
}

describe('dashboard logs page', { skip: skipWithoutChromium() }, () => {
  let upstream: MockUpstream;
  let gateway: GovernedTestGateway;
  let browser: DashboardBrowser;

  before(async () => {
    upstream = await startMockUpstream((request, response) => {
      const body = request.json as { stream?: boolean; messages: { content: unknown }[] };
      const wantsTool = JSON.stringify(body.messages[0]?.content ?? '').includes('lookup');
      const events = wantsTool
        ? anthropicToolUseEvents({ model: MODEL, toolName: 'get_weather', toolUseId: 'toolu_weather_2', input: { city: 'Bergen' }, inputTokens: 120 })
        : anthropicTextEvents({ model: MODEL, text: 'It is 4 °C and snowing in Oslo.', inputTokens: 80, outputTokens: 12 });
      if (body.stream === true) writeAnthropicSse(response, events);
      else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(anthropicMessageFromEvents(events)));
      }
    });
    gateway = await startDashboardTestGateway({
      providers: { anthropic: { base_url: upstream.url, keys: [{ name: 'primary', value: 'sk-ant-dashboard-test' }] } },
      pricing: { [`anthropic/${MODEL}`]: { input_per_mtok: 3, output_per_mtok: 15 } },
    });
    browser = await launchDashboardBrowser();
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  async function send(body: unknown): Promise<void> {
    const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'client-key' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, await response.clone().text());
    await response.text();
  }

  it('shows requests in the live tail as they arrive, filters them, and opens one with its tool calls', async () => {
    const page = await browser.newPage();
    await logInToDashboard(page, `${gateway.url}/logs`);
    await page.getByRole('heading', { name: 'Logs' }).waitFor();
    await page.getByTestId('tail-state').filter({ hasText: 'live' }).waitFor();
    assert.equal(await page.getByTestId('log-row').count(), 0);

    // Three requests while the page is open: they arrive through the tail, no reload.
    await send(messagesRequest('What is the weather in Oslo?', { tools: true }));
    await send(messagesRequest('Please lookup Bergen', { tools: true, stream: false }));
    await send(messagesRequest('Say hello'));
    await page.getByTestId('log-row').nth(2).waitFor();
    assert.equal(await page.getByTestId('log-row').count(), 3);
    await browser.screenshot(page, 'logs-live');

    // Search (answered by the store's full-text index).
    await page.getByLabel('Search').fill('Bergen');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/search=Bergen/);
    await page.getByTestId('log-row').nth(1).waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('log-row').count(), 1);
    await page.getByText('live tail paused while searching').waitFor();

    // The detail of the request whose conversation holds a tool call, its result and thinking.
    await page.getByTestId('log-row').first().click();
    await page.getByRole('heading', { name: 'Request', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Conversation' }).waitFor();
    const toolCalls = page.getByTestId('tool-use-block');
    assert.equal(await toolCalls.count(), 2, 'the earlier tool call and the one in the answer');
    assert.match((await toolCalls.nth(0).textContent()) ?? '', /get_weather[\s\S]*Oslo/);
    assert.match((await toolCalls.nth(1).textContent()) ?? '', /get_weather[\s\S]*Bergen/);
    assert.match((await page.getByTestId('tool-result-block').textContent()) ?? '', /4 °C, light snow/);
    assert.match((await page.getByTestId('thinking-block').textContent()) ?? '', /call the tool/);
    const attempts = page.getByRole('table', { name: 'Attempts' });
    assert.match((await attempts.textContent()) ?? '', /anthropic[\s\S]*primary[\s\S]*served/);
    await page.getByText('Tools offered:').waitFor();
    // What went to the provider and its raw answer, each in a collapsed section.
    const exchange = page.getByTestId('upstream-exchange');
    assert.equal(await exchange.count(), 1);
    await exchange.getByText(`Upstream request (to anthropic, ${MODEL})`).click();
    await exchange.getByText(`POST ${upstream.url}/v1/messages`).waitFor();
    const upstreamRequest = (await exchange.locator('details').nth(0).locator('pre').textContent()) ?? '';
    assert.match(upstreamRequest, /"content": "Please lookup Bergen"/);
    assert.equal((JSON.parse(upstreamRequest) as { model: string }).model, MODEL);
    await exchange.getByText('Upstream response (HTTP 200, application/json)').click();
    assert.match((await exchange.locator('details').nth(1).locator('pre').textContent()) ?? '', /"id": "toolu_weather_2"/);
    await browser.screenshot(page, 'log-detail');

    // Back to the list: the status filter keeps the three successes.
    await page.getByRole('link', { name: '← All requests' }).click();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Status').selectOption('error');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=error/);
    await page.getByText('No requests match.').waitFor();

    // A laptop screen: the filters wrap, the table scrolls inside its frame.
    await page.setViewportSize({ width: 1024, height: 720 });
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByTestId('log-row').nth(2).waitFor();
    await browser.screenshot(page, 'logs-1024');
    assert.deepEqual(browser.pageErrors, []);
    await page.close();
  });
});
