package io.llmgateway.provider.openai;

import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

import io.llmgateway.provider.JsonParsers;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.Operation;

/**
 * What the gateway needs from an OpenAI request body, read in a single pass over its tokens
 * instead of as a JSON tree.
 * <p>
 * Lenient like every read of the adapter: a member of the wrong type counts as absent, and so
 * does a count that is not a whole number a {@code long} (for {@code n}, an {@code int}) holds.
 * Of a member given twice the last one counts, as in a tree. The prompt's text is gathered in
 * the order messages, {@code prompt}, {@code input}, each content whole as long as the text so
 * far is under the cap.
 */
final class RequestBody {

	private final int maxText;

	private String model;

	private boolean stream;

	private boolean usageRequested;

	private Long maxCompletionTokens;

	private Long maxTokens;

	private Double temperature;

	private Double topP;

	private Long seed;

	private Long choices;

	private int messages;

	/** Text of the last {@code messages} member, already capped. */
	private final StringBuilder messagesText = new StringBuilder();

	private List<String> prompt;

	private List<String> input;

	private RequestBody(int maxText) {
		this.maxText = maxText;
	}

	/**
	 * Reads a request body.
	 * @param parsers parsers with the mapper's settings
	 * @param operation the operation the path named
	 * @param body the body's bytes
	 * @param maxText characters of prompt text kept for an estimate
	 * @return what the gateway learned, or {@code null} when the body is not one JSON object
	 * @throws tools.jackson.core.JacksonException when the body is not JSON
	 */
	static LlmRequest read(JsonParsers parsers, Operation operation, byte[] body, int maxText) {
		try (JsonParser parser = parsers.parser(body, body.length)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				return null;
			}
			RequestBody request = new RequestBody(maxText);
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				request.member(parser, parser.currentName(), parser.nextToken());
			}
			// Content after the object is not one JSON value: a tree read rejects it too.
			return (parser.nextToken() == null) ? request.toRequest(operation) : null;
		}
	}

	private void member(JsonParser parser, String name, JsonToken value) {
		switch (name) {
			case "model" -> this.model = JsonTokens.string(parser, value);
			case "stream" -> this.stream = JsonTokens.isTrue(parser, value);
			case "stream_options" -> this.usageRequested = JsonTokens.member(parser, value, "include_usage",
					JsonTokens::isTrue, false);
			case "max_completion_tokens" -> this.maxCompletionTokens = JsonTokens.whole(parser, value);
			case "max_tokens" -> this.maxTokens = JsonTokens.whole(parser, value);
			case "temperature" -> this.temperature = JsonTokens.decimal(parser, value);
			case "top_p" -> this.topP = JsonTokens.decimal(parser, value);
			case "seed" -> this.seed = JsonTokens.whole(parser, value);
			case "n" -> this.choices = JsonTokens.whole(parser, value);
			case "messages" -> readMessages(parser, value);
			case "prompt" -> this.prompt = content(parser, value);
			case "input" -> this.input = content(parser, value);
			default -> parser.skipChildren();
		}
	}

	private LlmRequest toRequest(Operation operation) {
		StringBuilder text = this.messagesText;
		append(this.prompt, text);
		append(this.input, text);
		String inputText = (text.length() > this.maxText) ? text.substring(0, this.maxText) : text.toString();
		Long maxOutput = (this.maxCompletionTokens != null) ? this.maxCompletionTokens : this.maxTokens;
		return new LlmRequest(operation, this.model, this.stream, this.usageRequested, maxOutput, this.temperature,
				this.topP, this.seed, choices(), inputText, this.messages, true);
	}

	/** {@code n}, when an {@code int} holds it. */
	private Integer choices() {
		return (this.choices != null && this.choices == this.choices.intValue()) ? this.choices.intValue() : null;
	}

	private void readMessages(JsonParser parser, JsonToken value) {
		this.messages = 0;
		this.messagesText.setLength(0);
		if (value != JsonToken.START_ARRAY) {
			parser.skipChildren();
			return;
		}
		JsonToken element;
		while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
			this.messages++;
			if (element != JsonToken.START_OBJECT) {
				parser.skipChildren();
				continue;
			}
			List<String> content = null;
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken member = parser.nextToken();
				if ("content".equals(name)) {
					content = content(parser, member);
				}
				else {
					parser.skipChildren();
				}
			}
			append(content, this.messagesText);
		}
	}

	/** A content's texts: a string, or the strings and {@code text} members of an array of parts. */
	private static List<String> content(JsonParser parser, JsonToken value) {
		if (value == JsonToken.VALUE_STRING) {
			return List.of(parser.getString());
		}
		if (value != JsonToken.START_ARRAY) {
			parser.skipChildren();
			return null;
		}
		List<String> texts = new ArrayList<>(2);
		JsonToken part;
		while ((part = parser.nextToken()) != JsonToken.END_ARRAY) {
			if (part == JsonToken.VALUE_STRING) {
				texts.add(parser.getString());
			}
			else if (part == JsonToken.START_OBJECT) {
				String text = JsonTokens.member(parser, part, "text", JsonTokens::string, null);
				if (text != null) {
					texts.add(text);
				}
			}
			else {
				parser.skipChildren();
			}
		}
		return texts;
	}

	/** Adds a content whole, one line per text, unless the text has reached the cap already. */
	private void append(List<String> content, StringBuilder text) {
		if (content == null || text.length() >= this.maxText) {
			return;
		}
		for (String part : content) {
			text.append(part).append('\n');
		}
	}

}
