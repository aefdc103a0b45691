// GraphiQL in headless Chromium with every host but the gateway unreachable.
//
//   node graphiql.mjs http://127.0.0.1:PORT /usr/bin/chromium PROFILE_DIR
//
// Opens the page, runs the first example operation and the subscription tab, and prints one
// JSON object: what the result pane shows, every request the page made, the console's errors.
import { chromium } from "playwright-core";

const [base, executablePath, profile] = process.argv.slice(2);
const gateway = new URL(base);
const result = { requests: [], blocked: [], consoleErrors: [], refused: [] };

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    // Names resolve to nothing but the gateway's own address: no CDN could be reached.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${gateway.hostname}`,
  ],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  // And whatever asks for another host is refused here and recorded.
  await page.route("**/*", (route) => {
    const target = new URL(route.request().url());
    if (target.protocol === "data:" || target.host === gateway.host) return route.continue();
    result.blocked.push(route.request().url());
    return route.abort();
  });
  page.on("request", (request) => result.requests.push(request.url()));
  page.on("response", async (response) => {
    if (response.status() >= 400) {
      const request = response.request();
      result.refused.push({
        url: response.url(),
        status: response.status(),
        sent: request.postData(),
        accept: (await request.allHeaders()).accept,
        body: await response.text().catch(() => ""),
      });
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error") result.consoleErrors.push(message.text());
  });
  await page.goto(`${base}/graphql`, { waitUntil: "load" });
  await page.waitForSelector(".graphiql-execute-button", { timeout: 15000 });
  result.tabs = await page.locator(".graphiql-tab").count();
  result.headersHint = (await page.locator(".graphiql-query-editor").innerText()).includes(
    "Headers tab",
  );
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => document.querySelector(".result-window")?.innerText.includes('"customer"'),
    null,
    { timeout: 15000 },
  );
  result.resultPane = await page.locator(".result-window").innerText();

  // The subscription tab streams over SSE; a write through the gateway makes the CRM sign
  // a notice, and the event shows in the result pane.
  await page.locator(".graphiql-tab").nth(3).click();
  await page.waitForFunction(
    () => document.querySelector(".graphiql-query-editor")?.innerText.includes("subscription Changes"),
  );
  // GraphiQL names the operation to run after a debounced parse of the new tab; run before
  // that and it sends the previous tab's operationName, which the gateway rightly refuses.
  await page.waitForTimeout(1000);
  await page.click(".graphiql-execute-button");
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `mutation { updateProfile(customerId: "7", input: {city: "Browser-${Date.now()}"}) { city } }`,
      }),
    });
    const pane = await page.locator(".result-window").innerText();
    if (pane.includes("customerChanged")) {
      result.subscriptionPane = pane;
      break;
    }
    await page.waitForTimeout(300);
  }
} catch (error) {
  result.error = String(error && error.stack || error);
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(result));
