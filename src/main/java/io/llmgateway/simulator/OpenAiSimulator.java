package io.llmgateway.simulator;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import io.llmgateway.usage.TokenEstimator;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A stand-in for OpenAI chat completions: plausible text that follows from the prompt, usage
 * counted with a real tokenizer (not constants), JSON or SSE with configurable pacing, and
 * errors on demand: a model named {@code sim-error-429} (any 4xx/5xx code) fails with that
 * status.
 */
public class OpenAiSimulator {

	private static final String[] WORDS = ("the gateway observes every call and counts tokens as they stream "
			+ "through a route so that teams can see latency cost and errors per model while providers answer "
			+ "requests with text that arrives in chunks over server sent events until the final usage report "
			+ "closes the stream and the trace records time to first token alongside the total duration of each "
			+ "completion for dashboards alerts budgets and capacity planning across every environment")
		.split(" ");

	private final SimulatorProperties properties;

	private final TokenEstimator estimator;

	private final JsonMapper json;

	private final AtomicLong ids = new AtomicLong();

	public OpenAiSimulator(SimulatorProperties properties, TokenEstimator estimator, JsonMapper json) {
		this.properties = properties;
		this.estimator = estimator;
		this.json = json;
	}

	public Mono<ServerResponse> chatCompletions(ServerRequest request) {
		return request.bodyToMono(byte[].class).defaultIfEmpty(new byte[0]).flatMap(body -> answer(request, body));
	}

	private Mono<ServerResponse> answer(ServerRequest request, byte[] body) {
		JsonNode root;
		try {
			root = this.json.readTree(body);
		}
		catch (JacksonException ex) {
			root = null;
		}
		if (root == null || !root.isObject() || !root.path("messages").isArray()) {
			return error(HttpStatus.BAD_REQUEST, "invalid_request_error",
					"The body must be a JSON object with a 'messages' array");
		}
		String model = root.path("model").isString() ? root.get("model").stringValue() : "sim-gpt";
		if (model.startsWith("sim-error-")) {
			HttpStatus status = HttpStatus.resolve(parseInt(model.substring("sim-error-".length()), 500));
			return error((status != null && status.isError()) ? status : HttpStatus.INTERNAL_SERVER_ERROR,
					"simulated_error", "Simulated failure for model " + model);
		}
		Pacing pacing = pacing(request);
		Prompt prompt = prompt(root.get("messages"));
		JsonNode limit = root.path("max_completion_tokens").isNumber() ? root.get("max_completion_tokens")
				: root.path("max_tokens");
		if (limit.isNumber() && !(limit.canConvertToExactIntegral() && limit.canConvertToLong())) {
			// Like the real API: a fractional or oversized limit is the client's error, not a crash.
			return error(HttpStatus.BAD_REQUEST, "invalid_request_error",
					"Invalid 'max_tokens': expected an integer, got " + limit);
		}
		long maxTokens = limit.isNumber() ? limit.longValue() : Long.MAX_VALUE;
		Generated generated = generate(prompt.text() + model, pacing.chunks(), maxTokens, model);
		List<String> pieces = generated.pieces();
		String completion = String.join("", pieces);
		boolean truncated = generated.truncated();
		ObjectNode usage = usage(this.estimator.countChatInput(model, prompt.text(), prompt.messages()),
				this.estimator.count(model, completion));
		String id = "chatcmpl-sim-" + this.ids.incrementAndGet();
		long created = System.currentTimeMillis() / 1000;
		String finishReason = truncated ? "length" : "stop";
		boolean stream = root.path("stream").isBoolean() && root.get("stream").booleanValue();
		if (!stream) {
			ObjectNode completionBody = this.json.createObjectNode();
			completionBody.put("id", id).put("object", "chat.completion").put("created", created).put("model", model);
			ObjectNode choice = completionBody.putArray("choices").addObject();
			choice.put("index", 0);
			choice.putObject("message").put("role", "assistant").put("content", completion);
			choice.putNull("logprobs");
			choice.put("finish_reason", finishReason);
			completionBody.set("usage", usage);
			completionBody.put("system_fingerprint", "fp_simulator");
			Duration total = pacing.firstChunk().plus(pacing.between().multipliedBy(Math.max(0, pieces.size() - 1)));
			return Mono.delay(total)
				.then(ServerResponse.ok()
					.contentType(MediaType.APPLICATION_JSON)
					.bodyValue(this.json.writeValueAsString(completionBody)));
		}
		JsonNode options = root.get("stream_options");
		boolean includeUsage = options != null && options.path("include_usage").isBoolean()
				&& options.get("include_usage").booleanValue();
		List<String> events = new ArrayList<>(pieces.size() + 4);
		events.add(chunk(id, created, model, delta("assistant", ""), null, includeUsage));
		for (String piece : pieces) {
			events.add(chunk(id, created, model, delta(null, piece), null, includeUsage));
		}
		events.add(chunk(id, created, model, this.json.createObjectNode(), finishReason, includeUsage));
		List<String> tail = new ArrayList<>(2);
		if (includeUsage) {
			ObjectNode usageChunk = this.json.createObjectNode();
			usageChunk.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
			usageChunk.put("system_fingerprint", "fp_simulator");
			usageChunk.putArray("choices");
			usageChunk.set("usage", usage);
			tail.add(this.json.writeValueAsString(usageChunk));
		}
		tail.add("[DONE]");
		Flux<DataBuffer> sseBody = Flux.concat(Mono.just(events.get(0)).delaySubscription(pacing.firstChunk()),
				Flux.fromIterable(events.subList(1, events.size())).delayElements(pacing.between()),
				Flux.fromIterable(tail))
			.map(OpenAiSimulator::sse);
		return ServerResponse.ok()
			.contentType(MediaType.TEXT_EVENT_STREAM)
			.header("Cache-Control", "no-cache")
			.body(BodyInserters.fromDataBuffers(sseBody));
	}

	private Generated generate(String seedText, int chunks, long maxTokens, String model) {
		SplittableRandom random = new SplittableRandom(seedText.hashCode());
		int words = Math.max(chunks, 24 + random.nextInt(40));
		List<String> pieces = new ArrayList<>(chunks);
		StringBuilder all = new StringBuilder();
		int perChunk = Math.max(1, words / chunks);
		for (int c = 0; c < chunks; c++) {
			StringBuilder piece = new StringBuilder();
			for (int w = 0; w < perChunk; w++) {
				String word = WORDS[random.nextInt(WORDS.length)];
				boolean sentenceStart = all.length() == 0 || all.charAt(all.length() - 1) == '.';
				if (all.length() > 0) {
					piece.append(' ');
					all.append(' ');
				}
				if (sentenceStart) {
					word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
				}
				piece.append(word);
				all.append(word);
			}
			if (c == chunks - 1 || random.nextInt(6) == 0) {
				piece.append('.');
				all.append('.');
			}
			if (maxTokens != Long.MAX_VALUE && this.estimator.count(model, all) > maxTokens) {
				// The answer is cut where the token budget ends, as a real model's would be.
				if (pieces.isEmpty()) {
					pieces.add(WORDS[0]);
				}
				return new Generated(pieces, true);
			}
			pieces.add(piece.toString());
		}
		return new Generated(pieces, false);
	}

	private ObjectNode delta(String role, String content) {
		ObjectNode delta = this.json.createObjectNode();
		if (role != null) {
			delta.put("role", role);
		}
		delta.put("content", content);
		return delta;
	}

	private String chunk(String id, long created, String model, ObjectNode delta, String finishReason,
			boolean includeUsage) {
		ObjectNode chunk = this.json.createObjectNode();
		chunk.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
		chunk.put("system_fingerprint", "fp_simulator");
		ArrayNode choices = chunk.putArray("choices");
		ObjectNode choice = choices.addObject();
		choice.put("index", 0);
		choice.set("delta", delta);
		choice.putNull("logprobs");
		if (finishReason != null) {
			choice.put("finish_reason", finishReason);
		}
		else {
			choice.putNull("finish_reason");
		}
		if (includeUsage) {
			// OpenAI sends an explicit null usage on every chunk once usage was asked for.
			chunk.putNull("usage");
		}
		return this.json.writeValueAsString(chunk);
	}

	private ObjectNode usage(long prompt, long completion) {
		ObjectNode usage = this.json.createObjectNode();
		usage.put("prompt_tokens", prompt);
		usage.put("completion_tokens", completion);
		usage.put("total_tokens", prompt + completion);
		usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
		usage.putObject("completion_tokens_details").put("reasoning_tokens", 0);
		return usage;
	}

	private Prompt prompt(JsonNode messages) {
		StringBuilder text = new StringBuilder();
		int count = 0;
		for (JsonNode message : messages) {
			count++;
			JsonNode content = message.get("content");
			if (content != null && content.isString()) {
				text.append(content.stringValue()).append('\n');
			}
			else if (content != null && content.isArray()) {
				for (JsonNode part : content) {
					if (part.path("text").isString()) {
						text.append(part.get("text").stringValue()).append('\n');
					}
				}
			}
		}
		return new Prompt(text.toString(), count);
	}

	private Pacing pacing(ServerRequest request) {
		long first = header(request, "x-simulator-first-chunk-delay-ms", this.properties.getFirstChunkDelay().toMillis());
		long between = header(request, "x-simulator-chunk-delay-ms", this.properties.getChunkDelay().toMillis());
		long chunks = header(request, "x-simulator-chunk-count", this.properties.getChunkCount());
		return new Pacing(Duration.ofMillis(Math.max(0, first)), Duration.ofMillis(Math.max(0, between)),
				(int) Math.min(1_000_000, Math.max(1, chunks)));
	}

	private static long header(ServerRequest request, String name, long fallback) {
		String value = request.headers().firstHeader(name);
		if (value == null) {
			return fallback;
		}
		try {
			return Long.parseLong(value.strip());
		}
		catch (NumberFormatException ex) {
			return fallback;
		}
	}

	private Mono<ServerResponse> error(HttpStatus status, String type, String message) {
		ObjectNode body = this.json.createObjectNode();
		ObjectNode error = body.putObject("error");
		error.put("message", message).put("type", type).putNull("param").put("code", Integer.toString(status.value()));
		ServerResponse.BodyBuilder response = ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON);
		if (status == HttpStatus.TOO_MANY_REQUESTS) {
			response.header("Retry-After", "1");
		}
		return response.bodyValue(this.json.writeValueAsString(body));
	}

	private static DataBuffer sse(String data) {
		return DefaultDataBufferFactory.sharedInstance.wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
	}

	private static int parseInt(String value, int fallback) {
		try {
			return Integer.parseInt(value);
		}
		catch (NumberFormatException ex) {
			return fallback;
		}
	}

	private record Prompt(String text, int messages) {
	}

	private record Generated(List<String> pieces, boolean truncated) {
	}

	private record Pacing(Duration firstChunk, Duration between, int chunks) {
	}

}
