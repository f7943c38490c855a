// The baseline for `semfly versions --json`: a bare Node script that makes the same HTTP requests with
// fetch (the app's release pages one after another, its machines alongside), parses them and prints the
// releases as JSON. No library, no validation, no version model: what any CLI pays at the least.
// argv[2]: JSON {graphqlUrl, machinesUrl, graphqlAuth, machinesAuth, app, query, pageSize, pages}.
// `pages` caps the release pages (the same number the measured command fetched); null follows every cursor.
const config = JSON.parse(process.argv[2]);

async function post(body) {
  const response = await fetch(config.graphqlUrl, {
    method: "POST",
    headers: { authorization: config.graphqlAuth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`GraphQL ${response.status}`);
  return response.json();
}

async function releases() {
  const all = [];
  let after = null;
  for (let page = 0; config.pages === null || page < config.pages; page++) {
    const { data } = await post({
      query: config.query,
      variables: { appName: config.app, first: config.pageSize, after },
    });
    const connection = data.app.releases;
    all.push(...connection.nodes);
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return all;
}

async function machines() {
  const response = await fetch(config.machinesUrl, {
    headers: { authorization: config.machinesAuth },
  });
  if (!response.ok) throw new Error(`machines ${response.status}`);
  return response.json();
}

const [releaseList, machineList] = await Promise.all([releases(), machines()]);
process.stdout.write(
  `${JSON.stringify({ releases: releaseList, machines: machineList.length })}\n`,
);
