// The CLI side: one request, print the answer, exit. Usage: node cli.mjs PATH METHOD [JSON]
import { connect } from 'unixipc';

const [path, method, params] = process.argv.slice(2);
try {
  const client = await connect(path, { connectTimeout: 2_000, timeout: 5_000 });
  try {
    const result = await client.request(method, params === undefined ? undefined : JSON.parse(params));
    console.log(JSON.stringify(result));
  } finally {
    await client.close();
  }
} catch (error) {
  console.log(`ERROR ${error.code}: ${error.message}`);
  process.exitCode = 1;
}
