// The JavaScript clients frontends use, unmodified, against a running gateway.
//
//   node --experimental-websocket clients.mjs http://127.0.0.1:PORT [check ...]
//
// Runs every check (or those named) in this one process and prints one JSON object:
// {"check name": {"ok": true, ...details} | {"ok": false, "error": "..."}}.
// Subscriptions are fed by updateProfile through the gateway: the sandbox's CRM signs a
// change notice for each write, and the gateway's webhook publishes it.
import { createHash } from "node:crypto";

import {
  ApolloClient,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  gql,
} from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import { Client, fetchExchange } from "@urql/core";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";

const base = process.argv[2];
const wanted = new Set(process.argv.slice(3));
const url = `${base}/graphql`;
const CUSTOMER = "7";

// Every request the Apollo links send, to check what went over the wire.
const sent = [];
function recordingFetch(input, init = {}) {
  sent.push({ method: init.method || "GET", url: String(input), body: init.body });
  return fetch(input, init).then((response) => {
    sent[sent.length - 1].status = response.status;
    return response;
  });
}

function apollo(link) {
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const CUSTOMER_QUERY = gql`
  query Customer($id: ID!) {
    customer(id: $id) { id name loyalty { tier } orders(first: 1) { totalCount } }
  }
`;
const LISTING = gql`
  query Listing($first: Int!, $after: String) {
    customerList(first: $first, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name } }
    }
  }
`;
const ORDERS = gql`
  query Orders($id: ID!, $last: Int, $before: String) {
    customer(id: $id) {
      id
      orders(last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id } }
      }
    }
  }
`;
const PAGE = 7;
const PAGES = 6;

const SUBSCRIPTION = gql`
  subscription Changes($ids: [ID!]) {
    customerChanged(ids: $ids) { customerId source event customer { id city } }
  }
`;

// Changes customer 7's city every 300 ms until the subscription has heard of one (its
// subscribe may reach the gateway after the first write), then says how long the last took.
async function feedChanges(received, label) {
  const deadline = Date.now() + 8000;
  let wroteAt = 0;
  while (!received.done && Date.now() < deadline) {
    const city = `${label}-${Date.now()}`;
    wroteAt = Date.now();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `mutation ($city: String) { updateProfile(customerId: "${CUSTOMER}", input: {city: $city}) { city } }`,
        variables: { city },
      }),
    });
    if (response.status !== 200) throw new Error(`updateProfile answered ${response.status}`);
    await received.wait(300);
  }
  if (!received.done) throw new Error("no change event within 8 s");
  return { event: received.value, latencyMs: received.at - wroteAt };
}

function firstEvent() {
  const state = { done: false, value: null, at: 0 };
  let wake = () => {};
  state.resolve = (value) => {
    if (state.done) return;
    Object.assign(state, { done: true, value, at: Date.now() });
    wake();
  };
  state.wait = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return state;
}

const checks = {
  async "apollo query"() {
    const client = apollo(new HttpLink({ uri: url, fetch: recordingFetch }));
    const { data } = await client.query({ query: CUSTOMER_QUERY, variables: { id: CUSTOMER } });
    return { data };
  },

  async "apollo graphql error"() {
    // A validation failure reaches the app as GraphQL errors with their code, not as a
    // parse error of the response.
    const client = apollo(new HttpLink({ uri: url }));
    const { error } = await client.query({
      query: gql`{ customer(id: "7") { nope } }`,
      errorPolicy: "all",
    });
    return {
      name: error && error.name,
      codes: (error && error.errors || []).map((e) => e.extensions && e.extensions.code),
    };
  },

  async "apollo persisted query over GET"() {
    sent.length = 0;
    const sha256 = (text) => createHash("sha256").update(text).digest("hex");
    const link = ApolloLink.from([
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
      new HttpLink({ uri: url, fetch: recordingFetch }),
    ]);
    const variables = { id: "5" };
    const first = await apollo(link).query({ query: CUSTOMER_QUERY, variables });
    // A second client with a cold cache: the hash alone is enough now.
    const second = await apollo(link).query({ query: CUSTOMER_QUERY, variables });
    return {
      requests: sent.map((r) => ({
        method: r.method,
        status: r.status,
        hashOnly: r.method === "GET" && !new URL(r.url).searchParams.has("query"),
      })),
      same: JSON.stringify(first.data) === JSON.stringify(second.data),
      data: second.data,
    };
  },

  async "apollo batch http link"() {
    sent.length = 0;
    const client = apollo(
      new BatchHttpLink({ uri: url, fetch: recordingFetch, batchMax: 5, batchInterval: 20 }),
    );
    const results = await Promise.all(
      ["3", "5", "7"].map((id) => client.query({ query: CUSTOMER_QUERY, variables: { id } })),
    );
    return {
      httpRequests: sent.length,
      operationsInBody: JSON.parse(sent[0].body).length,
      ids: results.map((r) => r.data.customer.id),
    };
  },

  async "apollo GraphQLWsLink subscription"() {
    const ws = createWsClient({ url: url.replace(/^http/, "ws"), retryAttempts: 0 });
    const client = apollo(new GraphQLWsLink(ws));
    const received = firstEvent();
    const subscription = client
      .subscribe({ query: SUBSCRIPTION, variables: { ids: [CUSTOMER] } })
      .subscribe({ next: (r) => received.resolve(r.data), error: (e) => received.resolve({ error: String(e) }) });
    try {
      return await feedChanges(received, "ws");
    } finally {
      subscription.unsubscribe();
      await ws.dispose();
    }
  },

  async "apollo multipart subscription"() {
    // Apollo Client's HttpLink sends subscriptions as multipart/mixed when there is no
    // WebSocket link: its default transport for subscriptions over HTTP.
    const client = apollo(new HttpLink({ uri: url }));
    const received = firstEvent();
    const subscription = client
      .subscribe({ query: SUBSCRIPTION, variables: { ids: [CUSTOMER] } })
      .subscribe({ next: (r) => received.resolve(r.data || { error: String(r.error) }), error: (e) => received.resolve({ error: String(e) }) });
    try {
      return await feedChanges(received, "multipart");
    } finally {
      subscription.unsubscribe();
    }
  },

  async "urql query"() {
    const client = new Client({ url, exchanges: [fetchExchange], preferGetMethod: false });
    const result = await client
      .query(`query ($id: ID!) { customer(id: $id) { id name preferences { channel } } }`, {
        id: CUSTOMER,
      })
      .toPromise();
    return { data: result.data, error: result.error && String(result.error) };
  },

  // Apollo's relayStylePagination merges each page after the edge whose cursor it was
  // asked from, dropping what it held past that edge: a cursor that resumed anywhere else
  // would leave a gap or a duplicate. Pages resume alternately from the middle of the last
  // page and from its last edge.
  async "apollo relayStylePagination customerList"() {
    const client = new ApolloClient({
      link: new HttpLink({ uri: url }),
      cache: new InMemoryCache({
        typePolicies: { Query: { fields: { customerList: relayStylePagination() } } },
      }),
    });
    let after = null;
    const resumedFrom = [];
    let merged = [];
    for (let page = 0; page < PAGES; page++) {
      const { data } = await client.query({
        query: LISTING,
        variables: { first: PAGE, after },
        fetchPolicy: "network-only",
      });
      merged = data.customerList.edges;
      const back = page % 2 === 0 ? Math.floor(PAGE / 2) : 0;
      const edge = merged[merged.length - 1 - back];
      resumedFrom.push(edge.node.id);
      after = edge.cursor;
    }
    // The same customers in one request, as the reference.
    const reference = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `{ customerList(first: ${merged.length}) { edges { node { id } } } }`,
      }),
    }).then((r) => r.json());
    return {
      ids: merged.map((e) => e.node.id),
      reference: reference.data.customerList.edges.map((e) => e.node.id),
      resumedFrom,
    };
  },

  // Backward, by last and before, through a customer's orders: merged before what is held.
  async "apollo relayStylePagination orders backward"() {
    const client = new ApolloClient({
      link: new HttpLink({ uri: url }),
      cache: new InMemoryCache({
        typePolicies: { Customer: { fields: { orders: relayStylePagination() } } },
      }),
    });
    let before = null;
    let orders;
    do {
      const { data } = await client.query({
        query: ORDERS,
        variables: { id: CUSTOMER, last: 2, before },
        fetchPolicy: "network-only",
      });
      orders = data.customer.orders;
      before = orders.pageInfo.startCursor;
    } while (orders.pageInfo.hasPreviousPage);
    const reference = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `{ customer(id: "${CUSTOMER}") { orders(first: 100) { edges { node { id } } } } }`,
      }),
    }).then((r) => r.json());
    return {
      ids: orders.edges.map((e) => e.node.id),
      totalCount: orders.totalCount,
      reference: reference.data.customer.orders.edges.map((e) => e.node.id),
    };
  },

  async "graphql-sse subscription"() {
    const client = createSseClient({ url, retryAttempts: 0 });
    const received = firstEvent();
    const dispose = client.subscribe(
      {
        query: `subscription ($ids: [ID!]) { customerChanged(ids: $ids) { customerId source event customer { id city } } }`,
        variables: { ids: [CUSTOMER] },
      },
      { next: (r) => received.resolve(r.data || r), error: (e) => received.resolve({ error: String(e) }), complete: () => {} },
    );
    try {
      return await feedChanges(received, "sse");
    } finally {
      dispose();
      client.dispose();
    }
  },
};

const results = {};
for (const [name, check] of Object.entries(checks)) {
  if (wanted.size && !wanted.has(name)) continue;
  try {
    results[name] = { ok: true, ...(await check()) };
  } catch (error) {
    results[name] = { ok: false, error: String(error && error.stack || error) };
  }
}
process.stdout.write(JSON.stringify(results));
process.exit(0);
