// The web UI in a real browser: Debian's Chromium driven by playwright-core against a real dev server (HTTP API
// and UI in process, an @odin/sdk worker). Screenshots go to test/ui/test-artifacts/ (gitignored).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Connection, Worker, WorkflowClient } from '@odin/sdk';
import { startDevServer } from '@odin/server';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import * as workflows from './workflows.js';

const CHROMIUM = process.env.ODIN_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('./test-artifacts/', import.meta.url));
const BULK = 10_000;
const taskQueue = 'ui-e2e';
const haveChromium = existsSync(CHROMIUM);
// Under CI a missing browser is a failure (setup installs it); elsewhere the browser tests are skipped, saying why.
const skip =
  !haveChromium && !process.env.CI ? `${CHROMIUM} is missing (node scripts/setup.mjs installs it)` : false;

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
let context: BrowserContext;
let page: Page;
let ui: string;
let userDataDir: string;
const reserveCalls = new Map<string, number>();

async function shot(name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Visibility rows straight into the store: 10,000 runs in a second, where as many starts would take minutes. */
async function seedBulk(namespaceId: string) {
  const statuses = [1, 2, 3]; // Running, Completed, Failed
  const start = Date.UTC(2025, 0, 1);
  for (let offset = 0; offset < BULK; offset += 1000) {
    const records = Array.from({ length: Math.min(1000, BULK - offset) }, (_, k) => {
      const i = offset + k;
      const status = statuses[i % 3]!;
      return {
        namespaceId,
        runId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        workflowId: `bulk-${String(i).padStart(5, '0')}`,
        workflowType: i % 2 === 0 ? 'bulkEven' : 'bulkOdd',
        status,
        startTime: start + i * 1000,
        executionTime: start + i * 1000,
        closeTime: status === 1 ? null : start + i * 1000 + 500,
        taskQueue: 'bulk',
        historyLength: 5,
        stateVersion: 1,
      };
    });
    await server.ctx.store.visibility.upsertVisibility(records);
  }
}

describe('web UI in Chromium', { skip }, () => {
  before(async () => {
    assert.ok(
      haveChromium,
      `${CHROMIUM} is missing: the UI browser tests need Debian's chromium (scripts/setup.mjs)`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startDevServer({ port: 0, uiPort: 0, namespaces: ['bulk'] });
    ui = `http://127.0.0.1:${server.uiPort}`;
    connection = Connection.connect({ address: server.address });
    worker = await Worker.create({
      connection,
      taskQueue,
      workflows,
      activities: {
        greet: async (name: string) => `Hello, ${name}!`,
        reserve: async (item: string) => {
          const calls = (reserveCalls.get(item) ?? 0) + 1;
          reserveCalls.set(item, calls);
          if (calls === 1) throw new Error(`warehouse busy for ${item}`);
          return `reserved ${item}`;
        },
      },
      shutdownGraceMs: 1000,
    });
    running = worker.run();
    const bulk = await server.ctx.store.namespaces.getNamespaceByName('bulk');
    await seedBulk(bulk!.id);
    userDataDir = mkdtempSync(join(tmpdir(), 'odin-ui-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1360, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    worker?.shutdown();
    await running;
    connection?.close();
    await server?.stop();
  });

  test('list, filter by a query, open a workflow: history, timeline, signal to a result', async () => {
    const client = new WorkflowClient({ connection });
    await client.start(workflows.uiOrder, {
      taskQueue,
      workflowId: 'order-ada',
      args: ['ada', 'teapot'],
      memo: { customerTier: 'gold' },
    });
    await client.start(workflows.uiIdle, { taskQueue, workflowId: 'idle-bo', args: [] });

    await page.goto(`${ui}/`);
    await page.waitForURL(/\/namespaces\/default\/workflows$/);
    const table = page.getByTestId('workflow-table');
    await table.getByRole('link', { name: 'order-ada' }).waitFor();
    await table.getByRole('link', { name: 'idle-bo' }).waitFor();
    await shot('01-workflow-list');

    await page.getByLabel('Visibility query').fill("WorkflowType = 'uiOrder'");
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/query=WorkflowType/);
    await page.getByTestId('workflow-count').getByText('1 workflow').waitFor();
    assert.equal(await table.getByRole('link', { name: 'idle-bo' }).count(), 0);
    await shot('02-workflow-list-filtered');

    await table.getByRole('link', { name: 'order-ada' }).click();
    await page.getByTestId('workflow-id').getByText('order-ada').waitFor();
    await page.getByTestId('workflow-input').getByText('"teapot"').waitFor();
    const history = page.getByTestId('history-table');
    await history.getByText('WorkflowExecutionStarted', { exact: true }).waitFor();
    // The child runs, then the workflow waits for the approval signal.
    await history.getByText('ChildWorkflowExecutionCompleted', { exact: true }).waitFor();
    await history.getByText('ActivityTaskCompleted', { exact: true }).first().waitFor();
    await shot('03-workflow-history');

    await page.getByRole('tab', { name: /Timeline/ }).click();
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('reserve').waitFor();
    await timeline.getByText(/attempt 2/).waitFor();
    await timeline.getByText(/Timer/).first().waitFor();
    await timeline.getByText('Child uiPacking').waitFor();
    await shot('04-workflow-timeline');

    await page.getByRole('tab', { name: /Children/ }).click();
    await page.getByRole('link', { name: 'ada-packing' }).waitFor();

    await page.getByRole('tab', { name: /Memo/ }).click();
    await page.locator('.tab-panel').getByText('customerTier').waitFor();
    await page.locator('.tab-panel').getByText('"gold"').waitFor();

    // The worker answers __stack_trace or refuses it; either way the page shows the answer, not a spinner.
    await page.getByRole('tab', { name: /Stack trace/ }).click();
    await page.getByRole('button', { name: 'Query __stack_trace' }).click();
    await page.locator('.tab-panel').locator('pre.json, [role=alert]').first().waitFor();
    await shot('04b-stack-trace');

    await page.getByRole('button', { name: 'Signal', exact: true }).click();
    await page.locator('input[name=name]').fill('approve');
    await page.locator('textarea[name=args]').fill('"approved in the browser"');
    await page.getByRole('button', { name: 'Signal workflow' }).click();
    await page.getByText('Signal sent.').waitFor();
    const result = page.getByTestId('workflow-result');
    await result.getByText(/approved in the browser/).waitFor();
    await result.getByText(/Hello, ada!/).waitFor();
    await page.locator('.page-title .badge', { hasText: 'Completed' }).waitFor();
    await page.getByRole('tab', { name: /History/ }).click();
    await history.getByText('WorkflowExecutionCompleted', { exact: true }).waitFor();
    await shot('05-workflow-completed');
  });

  test("reset a workflow, terminate the run the reset started, see the task queue's pollers", async () => {
    await page.goto(`${ui}/namespaces/default/workflows?status=Running`);
    await page.getByTestId('workflow-table').getByRole('link', { name: 'idle-bo' }).click();
    await page.locator('.page-title .badge', { hasText: 'Running' }).waitFor();

    // Event 4 is the first WorkflowTaskCompleted; the reset terminates this run and starts a new one from there.
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.locator('input[name=eventId]').fill('4');
    await page.locator('input[name=reason]').fill('reset from the browser');
    await page.getByRole('button', { name: 'Reset workflow' }).click();
    await page.getByText('Reset sent.').waitFor();
    await page.locator('.page-title .badge', { hasText: 'Terminated' }).waitFor();
    await shot('06-workflow-reset');

    // Without a run id the page shows the current run: the one the reset started, running on.
    await page.goto(`${ui}/namespaces/default/workflows/idle-bo`);
    await page.locator('.page-title .badge', { hasText: 'Running' }).waitFor();
    await page
      .getByTestId('history-table')
      .getByText('WorkflowTaskFailed', { exact: true })
      .first()
      .waitFor();

    await page.getByRole('button', { name: 'Terminate', exact: true }).click();
    await page.locator('input[name=reason]').fill('stopped from the browser');
    await page.getByRole('button', { name: 'Terminate workflow' }).click();
    await page.locator('.page-title .badge', { hasText: 'Terminated' }).waitFor();
    await page.getByTestId('workflow-result').getByText('Terminated: stopped from the browser').waitFor();
    await shot('07-workflow-terminated');

    await page.goto(`${ui}/namespaces/default/task-queues/${taskQueue}`);
    await page.locator('table.table tbody tr').first().waitFor();
    assert.equal(await page.getByRole('alert').count(), 0);
    await shot('08-task-queue');

    await page.goto(`${ui}/namespaces`);
    await page.getByRole('link', { name: 'bulk' }).waitFor();
    await shot('09-namespaces');
  });

  test('schedules: create in the form, trigger, pause with a note, list, delete', async () => {
    await page.goto(`${ui}/namespaces/default/schedules`);
    await page.getByText('No schedules in this namespace.').waitFor();
    await page.getByRole('button', { name: 'New schedule' }).click();
    await page.getByLabel('Schedule id').fill('ui-hourly-packing');
    await page.getByLabel('Workflow type').fill('uiPacking');
    await page.getByLabel('Task queue').fill(taskQueue);
    await page.getByLabel('Interval').fill('3600s');
    await page.getByLabel('Schedule input').fill('"parcel"');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.waitForURL(/\/schedules\/ui-hourly-packing$/);
    const summary = page.getByTestId('schedule-summary');
    await summary.getByText('every 1h 0m').waitFor();
    await summary.getByText('Active', { exact: true }).waitFor();
    await page.getByTestId('future-actions').locator('li').first().waitFor();

    await page.getByRole('button', { name: 'Trigger now' }).click();
    await page.getByText('Triggered.').waitFor();
    // The triggered run shows in the recent runs once the scheduler has started it.
    const recent = page.getByTestId('recent-actions');
    for (let i = 0; i < 100 && (await recent.count()) === 0; i++) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(200);
    }
    const started = recent.getByRole('link', { name: /^ui-hourly-packing/ }).first();
    await started.waitFor();
    await shot('11-schedule-detail');

    await page.getByLabel('Note').fill('paused from the browser');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Paused.').waitFor();
    await summary.getByText('Paused', { exact: true }).waitFor();
    await summary.getByText('paused from the browser').waitFor();

    await started.click();
    await page
      .getByTestId('workflow-result')
      .getByText(/packed parcel/)
      .waitFor();

    await page.goto(`${ui}/namespaces/default/schedules`);
    const table = page.getByTestId('schedule-table');
    await table.getByRole('link', { name: 'ui-hourly-packing' }).waitFor();
    await table.getByText('Paused').waitFor();
    await shot('12-schedule-list');

    await table.getByRole('link', { name: 'ui-hourly-packing' }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/schedules$/);
    await page.getByText('No schedules in this namespace.').waitFor();
  });

  test(`the list pages through ${BULK.toLocaleString('en-US')} workflows one page at a time`, async () => {
    await page.goto(`${ui}/namespaces/bulk/workflows`);
    const range = page.getByTestId('page-range');
    await page.getByTestId('workflow-count').getByText('10,000 workflows').waitFor();
    await range.getByText('1–50 of 10,000').waitFor();
    assert.equal(await page.getByTestId('workflow-table').locator('tbody tr').count(), 50);
    // Temporal's list order: open runs first, newest start first (every third seeded run is running), then closed
    // runs by close time.
    await page.getByTestId('workflow-table').getByRole('link', { name: 'bulk-09999' }).waitFor();
    await shot('10-bulk-list');

    await page.getByRole('button', { name: 'Next' }).click();
    await range.getByText('51–100 of 10,000').waitFor();
    await page.getByTestId('workflow-table').getByRole('link', { name: 'bulk-09849' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await range.getByText('101–150 of 10,000').waitFor();
    await page.getByRole('button', { name: 'Previous' }).click();
    await range.getByText('51–100 of 10,000').waitFor();

    await page.getByTestId('status-filter').getByRole('button', { name: 'Running' }).click();
    await page.getByTestId('workflow-count').getByText('3,334 workflows').waitFor();
    await range.getByText('1–50 of 3,334').waitFor();
    await page.getByLabel('Per page').selectOption('100');
    await range.getByText('1–100 of 3,334').waitFor();
  });
});
