package io.llmgateway.provider.openai;

import java.nio.charset.StandardCharsets;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import io.llmgateway.provider.FrameEdit;
import io.llmgateway.provider.JsonParsers;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.Operation;
import io.llmgateway.provider.ProviderAdapter;
import io.llmgateway.provider.StreamHandler;

import org.springframework.http.HttpMethod;

/**
 * The OpenAI API and every server that speaks it (vLLM, Ollama's {@code /v1}, Groq, Mistral,
 * LiteLLM, …): chat completions, legacy completions and embeddings, JSON and SSE.
 */
public class OpenAiAdapter implements ProviderAdapter {

	/** Characters of prompt text kept for an estimate; beyond it the estimate undercounts. */
	private static final int MAX_INPUT_TEXT = 1 << 20;

	private static final byte[] STREAM_USAGE_FIELD = "\"stream_options\":{\"include_usage\":true},"
		.getBytes(StandardCharsets.UTF_8);

	private final JsonMapper json;

	private final JsonParsers parsers;

	public OpenAiAdapter(JsonMapper json) {
		this.json = json;
		this.parsers = new JsonParsers(json);
	}

	@Override
	public String id() {
		return "openai";
	}

	@Override
	public String providerName() {
		return "openai";
	}

	@Override
	public Operation operation(HttpMethod method, String path) {
		if (!HttpMethod.POST.equals(method)) {
			return null;
		}
		if (path.endsWith("/chat/completions")) {
			return Operation.CHAT;
		}
		if (path.endsWith("/completions")) {
			return Operation.TEXT_COMPLETION;
		}
		if (path.endsWith("/embeddings")) {
			return Operation.EMBEDDINGS;
		}
		return null;
	}

	@Override
	public LlmRequest readRequest(Operation operation, byte[] body) {
		LlmRequest request;
		try {
			request = RequestBody.read(this.parsers, operation, body, MAX_INPUT_TEXT);
		}
		catch (JacksonException ex) {
			request = null;
		}
		return (request != null) ? request : LlmRequest.undecoded(operation);
	}

	@Override
	public byte[] withStreamUsage(LlmRequest request, byte[] body) {
		if (!request.decoded() || !request.stream() || request.usageRequested()
				|| request.operation() == Operation.EMBEDDINGS) {
			return null;
		}
		try {
			if (hasStreamOptions(body)) {
				// Rare: options without include_usage. Rewriting the tree is the only safe edit.
				ObjectNode root = (ObjectNode) this.json.readTree(body);
				JsonNode options = root.get("stream_options");
				if (!options.isObject()) {
					return null;
				}
				((ObjectNode) options).put("include_usage", true);
				return this.json.writeValueAsBytes(root);
			}
		}
		catch (JacksonException | ClassCastException ex) {
			return null;
		}
		// Insert the field right after the opening brace, leaving every other byte as the client
		// wrote it (number formats, key order, whitespace).
		int brace = 0;
		while (brace < body.length && body[brace] != '{') {
			brace++;
		}
		byte[] rewritten = new byte[body.length + STREAM_USAGE_FIELD.length];
		System.arraycopy(body, 0, rewritten, 0, brace + 1);
		System.arraycopy(STREAM_USAGE_FIELD, 0, rewritten, brace + 1, STREAM_USAGE_FIELD.length);
		System.arraycopy(body, brace + 1, rewritten, brace + 1 + STREAM_USAGE_FIELD.length, body.length - brace - 1);
		return rewritten;
	}

	@Override
	public StreamHandler streamHandler(LlmRequest request, LlmResponse response, boolean usageInjected) {
		return frame -> {
			if (frame.dataIs("[DONE]")) {
				response.completed();
				return FrameEdit.KEEP;
			}
			CompletionBody chunk;
			try {
				chunk = CompletionBody.readChunk(this.parsers, frame,
						response.responseModel() == null || response.responseId() == null);
			}
			catch (JacksonException ex) {
				response.errorType("invalid_response");
				return FrameEdit.KEEP;
			}
			if (chunk == null) {
				response.errorType("invalid_response");
				return FrameEdit.KEEP;
			}
			if (chunk.errorType != null) {
				response.errorType(chunk.errorType);
				return FrameEdit.KEEP;
			}
			response.responseModel(chunk.model);
			response.responseId(chunk.id);
			chunk.recordChoices(response, true);
			if (chunk.usage != null) {
				response.usage(chunk.usage);
				// The usage-only chunk exists only because the gateway asked for it.
				return (usageInjected && !chunk.hasChoices) ? FrameEdit.DROP : FrameEdit.KEEP;
			}
			if (usageInjected && chunk.usageNull) {
				// Once usage is asked for, every chunk carries "usage":null; the client did not ask.
				String member = NullUsageMember.find(frame.dataBytes());
				if (member != null) {
					return FrameEdit.removing(member);
				}
			}
			return FrameEdit.KEEP;
		};
	}

	@Override
	public void readResponse(LlmRequest request, byte[] body, int length, int status, LlmResponse response) {
		CompletionBody whole;
		try {
			whole = CompletionBody.readWhole(this.parsers, body, length);
		}
		catch (JacksonException ex) {
			whole = null;
		}
		if (whole == null) {
			response.outputUnknown();
			if (status < 400) {
				response.errorType("invalid_response");
			}
			return;
		}
		response.responseModel(whole.model);
		response.responseId(whole.id);
		whole.recordChoices(response, false);
		if (whole.usage != null) {
			response.usage(whole.usage);
		}
		if (status < 400) {
			response.completed();
		}
	}

	/** Whether the body (a JSON object) has a {@code stream_options} member; values are skipped, not read. */
	private boolean hasStreamOptions(byte[] body) {
		try (JsonParser parser = this.parsers.parser(body, body.length)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				return false;
			}
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				if ("stream_options".equals(parser.currentName())) {
					return true;
				}
				parser.nextToken();
				parser.skipChildren();
			}
			return false;
		}
	}

}
