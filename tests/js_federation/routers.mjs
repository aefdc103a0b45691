// A supergraph of customer-graph and a second subgraph, behind a real federation router.
//
//   node routers.mjs apollo|hive CUSTOMER_GRAPH_URL SANDBOX_URL QUERIES_JSON
//
// The second subgraph is written with @apollo/subgraph: it extends Customer with a wishlist
// and has a root field of its own, so queries cross the subgraphs both ways. The router is
// @apollo/gateway (IntrospectAndCompose, served by @apollo/server) or Hive Gateway over a
// supergraph composed by @theguild/federation-composition. Each query runs once, with the
// sandbox's counters reset before and read after; what the second subgraph was asked is
// recorded too. Prints one JSON object.

import { createServer } from 'node:http';
import { once } from 'node:events';

import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { graphql, parse } from 'graphql';

const [mode, customerGraphUrl, sandboxUrl, queriesJson] = process.argv.slice(2);
const queries = JSON.parse(queriesJson);

const WISHLIST_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  type Customer @key(fields: "id") {
    id: ID!
    wishlist: [String!]!
  }

  type Query {
    "The customers with the longest wishlists: ids 1..count."
    topWishers(count: Int!): [Customer!]!
  }
`;

const asked = [];
const wishlistSchema = buildSubgraphSchema({
  typeDefs: parse(WISHLIST_SDL),
  resolvers: {
    Query: {
      topWishers: (_, { count }) => Array.from({ length: count }, (_, i) => ({ id: String(i + 1) })),
    },
    Customer: {
      __resolveReference: (reference) => ({ id: reference.id }),
      wishlist: (customer) => [`gift-${customer.id}`, `book-${customer.id}`],
    },
  },
});

async function startWishlist() {
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString());
    asked.push({ query, representations: variables?.representations?.length ?? null });
    const result = await graphql({
      schema: wishlistSchema,
      source: query,
      variableValues: variables,
      operationName,
    });
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(result));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}/graphql` };
}

const subgraphs = (wishlistUrl) => [
  { name: 'customers', url: `${customerGraphUrl}/graphql` },
  { name: 'wishlist', url: wishlistUrl },
];

async function startApollo(wishlistUrl) {
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs: subgraphs(wishlistUrl) }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

async function startHive(wishlistUrl) {
  const services = [];
  for (const { name, url } of subgraphs(wishlistUrl)) {
    const answer = await post(url, { query: '{ _service { sdl } }' });
    services.push({ name, url, typeDefs: parse(answer.data._service.sdl) });
  }
  const composed = composeServices(services);
  if (composed.errors?.length) {
    throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
  }
  const gateway = createGatewayRuntime({ supergraph: composed.supergraphSdl, logging: false });
  const server = createServer(gateway);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}/graphql`;
  return { url, stop: async () => { server.close(); await gateway.dispose(); } };
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return response.json();
}

async function sandboxCalls() {
  const stats = await (await fetch(`${sandboxUrl}/_stats`)).json();
  return Object.fromEntries(Object.entries(stats).map(([api, s]) => [api, s.requests]));
}

const wishlist = await startWishlist();
const router = mode === 'apollo' ? await startApollo(wishlist.url) : await startHive(wishlist.url);
const results = {};
try {
  for (const [name, query] of Object.entries(queries)) {
    await fetch(`${sandboxUrl}/_stats/reset`, { method: 'POST' });
    asked.length = 0;
    const answer = await post(router.url, { query });
    results[name] = { answer, calls: await sandboxCalls(), wishlist: [...asked] };
  }
} finally {
  await router.stop();
  wishlist.server.close();
}
console.log(JSON.stringify(results));
