package io.llmgateway.provider.openai;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import io.llmgateway.provider.FrameEdit;
import io.llmgateway.provider.JsonValues;
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

	/** The {@code "usage":null} member with the comma that joins it to a neighbour. */
	private static final Pattern NULL_USAGE = Pattern
		.compile(",\\s*\"usage\"\\s*:\\s*null(?=\\s*[,}])|\"usage\"\\s*:\\s*null\\s*,");

	private final JsonMapper json;

	public OpenAiAdapter(JsonMapper json) {
		this.json = json;
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
		JsonNode root;
		try {
			root = this.json.readTree(body);
		}
		catch (JacksonException ex) {
			return LlmRequest.undecoded(operation);
		}
		if (root == null || !root.isObject()) {
			return LlmRequest.undecoded(operation);
		}
		StringBuilder text = new StringBuilder();
		int messages = 0;
		JsonNode messageList = root.get("messages");
		if (messageList != null && messageList.isArray()) {
			for (JsonNode message : messageList) {
				messages++;
				appendContent(message.get("content"), text);
			}
		}
		appendContent(root.get("prompt"), text);
		appendContent(root.get("input"), text);
		Long maxTokens = JsonValues.whole(root.get("max_completion_tokens"));
		if (maxTokens == null) {
			maxTokens = JsonValues.whole(root.get("max_tokens"));
		}
		JsonNode streamOptions = root.get("stream_options");
		boolean usageRequested = streamOptions != null && JsonValues.isTrue(streamOptions.get("include_usage"));
		Long n = JsonValues.whole(root.get("n"));
		return new LlmRequest(operation, JsonValues.text(root.get("model")), JsonValues.isTrue(root.get("stream")),
				usageRequested, maxTokens, JsonValues.decimal(root.get("temperature")),
				JsonValues.decimal(root.get("top_p")), JsonValues.whole(root.get("seed")),
				(n != null) ? n.intValue() : null, truncate(text), messages, true);
	}

	@Override
	public byte[] withStreamUsage(LlmRequest request, byte[] body) {
		if (!request.decoded() || !request.stream() || request.usageRequested()
				|| request.operation() == Operation.EMBEDDINGS) {
			return null;
		}
		try {
			ObjectNode root = (ObjectNode) this.json.readTree(body);
			if (root.has("stream_options")) {
				// Rare: options without include_usage. Rewriting the tree is the only safe edit.
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
			String data = frame.data();
			if ("[DONE]".equals(data.strip())) {
				response.completed();
				return FrameEdit.KEEP;
			}
			CompletionBody chunk;
			try {
				chunk = CompletionBody.readChunk(this.json, data,
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
				Matcher member = NULL_USAGE.matcher(data);
				if (member.find()) {
					return FrameEdit.removing(member.group());
				}
			}
			return FrameEdit.KEEP;
		};
	}

	@Override
	public void readResponse(LlmRequest request, byte[] body, int length, int status, LlmResponse response) {
		CompletionBody whole;
		try {
			whole = CompletionBody.readWhole(this.json, body, length);
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

	private static void appendContent(JsonNode content, StringBuilder text) {
		if (content == null || text.length() >= MAX_INPUT_TEXT) {
			return;
		}
		if (content.isString()) {
			text.append(content.stringValue()).append('\n');
		}
		else if (content.isArray()) {
			for (JsonNode part : content) {
				if (part.isString()) {
					text.append(part.stringValue()).append('\n');
				}
				else if (part.isObject()) {
					String partText = JsonValues.text(part.get("text"));
					if (partText != null) {
						text.append(partText).append('\n');
					}
				}
			}
		}
	}

	private static String truncate(StringBuilder text) {
		return (text.length() > MAX_INPUT_TEXT) ? text.substring(0, MAX_INPUT_TEXT) : text.toString();
	}

}
