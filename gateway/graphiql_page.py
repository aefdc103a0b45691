"""The GraphiQL page: example operations, a fetcher that streams subscriptions over SSE,
and the page shown when the assets are missing."""

from __future__ import annotations

import json

# Customer 7 has records in all five sources, orders, a loyalty membership and a ticket included.
EXAMPLES = [
    {
        "query": """# Everything about one customer: CRM (JSON), orders (JSON), loyalty (XML),
# preferences (CSV) and the support desk (GraphQL), one call per source, all in one round.
# Run with Ctrl-Enter.
#
# Credentials go in the Headers tab below. In development none are needed; in production
# send {"Authorization": "Bearer <token>"} or {"X-API-Key": "<key>"}.
query Customer {
  customer(id: "7") {
    id name email phone birthDate country city segment updatedAt
    totalSpent { amount currency }
    orders(first: 3) {
      totalCount
      edges { node { id placedAt status total { amount currency } } }
    }
    loyalty { tier points memberSince }
    preferences { channel optIn language }
    tickets { subject status openedAt agentName }
  }
}
""",
    },
    {
        "query": """# A page of everyone; pass pageInfo.endCursor as `after` for the next one.
query CustomerPage($after: String) {
  customerList(first: 10, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name loyalty { tier } } }
  }
}
""",
    },
    {
        "query": """# A write: the CRM changes customer 7, and the gateway hears of it by a signed
# webhook. Run the subscription tab first to watch it arrive.
mutation UpdateCity {
  updateProfile(customerId: "7", input: {city: "Lyon"}) {
    id name city updatedAt
  }
}
""",
    },
    {
        "query": """# Changes as they happen (streamed over GraphQL over SSE). Start it, then run
# the UpdateCity tab: the event arrives within a second.
subscription Changes {
  customerChanged(ids: ["7"]) {
    customerId source event at
    customer { id name city }
  }
}
""",
    },
]

PAGE_SCRIPT = """
const tabs = __TABS__;
const url = new URL("/graphql", window.location.href).href;

async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.search(/\\r?\\n\\r?\\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\\r?\\n\\r?\\n/, "");
      let event = "message";
      const data = [];
      for (const line of block.split(/\\r?\\n/)) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trim());
      }
      if (event === "complete") return;
      if (event === "next" && data.length) yield JSON.parse(data.join("\\n"));
    }
  }
}

async function fetcher(params, options) {
  // JSON first: the gateway streams (GraphQL over SSE) only what is a subscription.
  const response = await fetch(url, {
    method: "POST",
    headers: {
      ...(options && options.headers),
      "Content-Type": "application/json",
      "Accept": "application/graphql-response+json, application/json, text/event-stream",
    },
    body: JSON.stringify(params),
  });
  const type = response.headers.get("content-type") || "";
  if (response.ok && type.startsWith("text/event-stream")) return events(response);
  return response.json();
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: tabs,
    defaultHeaders: "{}",
    defaultEditorToolsVisibility: "headers",
    shouldPersistHeaders: false,
  })
);
""".replace("__TABS__", json.dumps(EXAMPLES))

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>customer-graph GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/graphiql.min.css">
<style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script>{PAGE_SCRIPT}</script>
</body>
</html>
"""

MISSING_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>GraphiQL is not installed</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>GraphiQL's files are not installed</h1>
<p>The gateway serves GraphiQL itself, from files fetched once from the npm registry at pinned
versions. These are missing from its <code>server.graphiql_assets</code> folder: {files}.</p>
<p>Fetch them (this needs <code>npm</code>) and reload this page:</p>
<pre>customer-graph graphiql-assets</pre>
<p><code>./dev demo</code> and <code>./dev test</code> do this at set-up. The API itself works
without them: POST queries to this URL.</p>
</body>
</html>
"""
