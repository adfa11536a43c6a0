// Drives the official OpenAI Node client against two base URLs (the upstream directly, and the
// same upstream through the gateway) and prints, as one JSON document on stdout, what the client
// parsed from each: a plain chat completion, a stream without stream_options and a stream with
// stream_options.include_usage. Nothing is compared or normalised here; OpenAiSdkTests does that.
//
//   node sdk-roundtrip.mjs <direct-base-url> <gateway-base-url> [extra-header=value ...]
//
// Extra headers go on every request of both targets (the simulator's pacing headers, x-team...).
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const [directBaseURL, gatewayBaseURL, ...headerArgs] = process.argv.slice(2);
if (!directBaseURL || !gatewayBaseURL) {
  console.error('usage: node sdk-roundtrip.mjs <direct-base-url> <gateway-base-url> [name=value ...]');
  process.exit(2);
}
const defaultHeaders = {};
for (const arg of headerArgs) {
  const eq = arg.indexOf('=');
  if (eq <= 0) {
    console.error(`not a header (name=value): ${arg}`);
    process.exit(2);
  }
  defaultHeaders[arg.slice(0, eq)] = arg.slice(eq + 1);
}

const MODEL = process.env.SDK_MODEL ?? 'gpt-4o-mini';

function params(question) {
  return {
    model: MODEL,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: question },
    ],
  };
}

async function nonStreaming(client) {
  return await client.chat.completions.create(params('How does the gateway count tokens?'));
}

// The stream helper of the SDK: its iterator yields each parsed chunk as it arrives, and
// finalChatCompletion() is the completion the SDK accumulates from them.
async function streaming(client, extra) {
  const stream = client.chat.completions.stream({ ...params('Tell me about streaming responses.'), ...extra });
  const chunks = [];
  let text = '';
  for await (const chunk of stream) {
    chunks.push(chunk);
    for (const choice of chunk.choices ?? []) {
      text += choice.delta?.content ?? '';
    }
  }
  const finalCompletion = await stream.finalChatCompletion();
  return { chunks, text, finalCompletion };
}

async function roundTrip(baseURL) {
  const client = new OpenAI({
    baseURL,
    apiKey: 'sk-sdk-roundtrip',
    maxRetries: 0,
    timeout: 30_000,
    defaultHeaders,
  });
  return {
    baseURL,
    nonStream: await nonStreaming(client),
    stream: await streaming(client, {}),
    streamWithUsage: await streaming(client, { stream_options: { include_usage: true } }),
  };
}

try {
  const direct = await roundTrip(directBaseURL);
  const gateway = await roundTrip(gatewayBaseURL);
  process.stdout.write(JSON.stringify({ sdkVersion: VERSION, model: MODEL, direct, gateway }) + '\n');
}
catch (error) {
  console.error(`SDK call failed: ${error?.status ?? ''} ${error?.stack ?? error}`);
  if (error?.error) {
    console.error(`error body: ${JSON.stringify(error.error)}`);
  }
  process.exit(1);
}
