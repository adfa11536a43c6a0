package io.llmgateway.provider.openai;

import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

import io.llmgateway.provider.JsonParsers;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.stream.Frame;
import io.llmgateway.usage.TokenUsage;

import static io.llmgateway.provider.openai.JsonTokens.string;

/**
 * What the gateway needs from an OpenAI response body or stream chunk, read in a single pass over
 * its tokens.
 * <p>
 * A stream has one chunk per generated token or so; building a JSON tree for each was about a
 * fifth of the heap a streamed call allocated, and a tree of an embeddings body holds a node per
 * number of every vector, which this skips. Fields of the wrong type count as absent, as
 * everywhere else in the adapter; of a member given twice the last one counts, as in a tree.
 * Choices are only handed to the response once the whole chunk has been read, since an
 * {@code error} member may come after them.
 */
final class CompletionBody {

	/** Text-bearing members of a {@code delta}, in the order their text is recorded. */
	private static final List<String> DELTA_TEXT_FIELDS = List.of("content", "reasoning_content", "reasoning",
			"refusal");

	/** Set when the body has an {@code error} member; a stream chunk is then an error event. */
	String errorType;

	String model;

	String id;

	/** {@code choices} is an array with at least one element. */
	boolean hasChoices;

	/** The usage object, if any. */
	TokenUsage usage;

	/** The body has {@code "usage": null}. */
	boolean usageNull;

	private final List<Choice> choices = new ArrayList<>(1);

	private CompletionBody() {
	}

	/**
	 * Reads a stream chunk, whose choices carry a {@code delta}.
	 * @param parsers parsers with the mapper's settings
	 * @param frame the event whose payload is the chunk
	 * @param readIds whether to decode {@code model} and {@code id} (once known, they are skipped)
	 * @return the chunk, or {@code null} when the payload is not one JSON object
	 * @throws JacksonException when the payload is not JSON
	 */
	static CompletionBody readChunk(JsonParsers parsers, Frame frame, boolean readIds) {
		byte[] data = frame.dataBytes();
		try (JsonParser parser = parsers.parser(data, data.length)) {
			return read(parser, "delta", readIds);
		}
		catch (JacksonException ex) {
			// The bytes are read as strict UTF-8; text decoding replaces what is malformed (some
			// servers split a character across two chunks), which is what a chunk was read as.
			try (JsonParser parser = parsers.parser(frame.data())) {
				return read(parser, "delta", readIds);
			}
		}
	}

	/**
	 * Reads a whole response body, whose choices carry a {@code message}.
	 * @param parsers parsers with the mapper's settings
	 * @param body the body's bytes
	 * @param length how many of them are the body
	 * @return the body, or {@code null} when it is not one JSON object
	 * @throws JacksonException when the body is not JSON
	 */
	static CompletionBody readWhole(JsonParsers parsers, byte[] body, int length) {
		try (JsonParser parser = parsers.parser(body, length)) {
			return read(parser, "message", true);
		}
	}

	private static CompletionBody read(JsonParser parser, String output, boolean readIds) {
		if (parser.nextToken() != JsonToken.START_OBJECT) {
			return null;
		}
		CompletionBody body = new CompletionBody();
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			switch (name) {
				case "error" -> body.errorType = (value == JsonToken.VALUE_NULL) ? null : errorTypeOf(parser, value);
				case "model" -> body.model = readIds ? string(parser, value) : skipped(parser);
				case "id" -> body.id = readIds ? string(parser, value) : skipped(parser);
				case "choices" -> body.readChoices(parser, value, output);
				case "usage" -> {
					body.usageNull = value == JsonToken.VALUE_NULL;
					body.usage = (value == JsonToken.START_OBJECT) ? usageOf(parser) : skipped(parser);
				}
				default -> parser.skipChildren();
			}
		}
		// Content after the object is not one JSON value: a tree read rejects it too.
		return (parser.nextToken() == null) ? body : null;
	}

	/**
	 * Hands the choices to the response.
	 * @param response where they are recorded
	 * @param streamed whether content marks the first chunk's time
	 */
	void recordChoices(LlmResponse response, boolean streamed) {
		for (Choice choice : this.choices) {
			response.finishReason(choice.finishReason);
			choice.texts.forEach(response::outputText);
			if (streamed && choice.content) {
				response.firstContent(System.nanoTime());
			}
		}
	}

	private void readChoices(JsonParser parser, JsonToken value, String output) {
		this.choices.clear();
		this.hasChoices = false;
		if (value != JsonToken.START_ARRAY) {
			parser.skipChildren();
			return;
		}
		JsonToken element;
		while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
			this.hasChoices = true;
			if (element == JsonToken.START_OBJECT) {
				this.choices.add(Choice.read(parser, output));
			}
			else {
				parser.skipChildren();
			}
		}
	}

	private static String errorTypeOf(JsonParser parser, JsonToken value) {
		String type = "_OTHER";
		if (value != JsonToken.START_OBJECT) {
			parser.skipChildren();
			return type;
		}
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken member = parser.nextToken();
			if (!"code".equals(name)) {
				parser.skipChildren();
			}
			else if (member == JsonToken.VALUE_NUMBER_INT || member == JsonToken.VALUE_NUMBER_FLOAT) {
				long code = whole(parser, member);
				type = (code >= 400 && code < 600) ? Long.toString(code) : "_OTHER";
			}
			else if (member == JsonToken.VALUE_STRING) {
				String code = parser.getString();
				type = code.matches("[45]\\d\\d") ? code : "_OTHER";
			}
			else {
				parser.skipChildren();
				type = "_OTHER";
			}
		}
		return type;
	}

	private static TokenUsage usageOf(JsonParser parser) {
		long input = 0;
		long output = 0;
		long cached = 0;
		long reasoning = 0;
		while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
			String name = parser.currentName();
			JsonToken value = parser.nextToken();
			switch (name) {
				case "prompt_tokens" -> input = whole(parser, value);
				case "completion_tokens" -> output = whole(parser, value);
				case "prompt_tokens_details" -> cached = member(parser, value, "cached_tokens");
				case "completion_tokens_details" -> reasoning = member(parser, value, "reasoning_tokens");
				default -> parser.skipChildren();
			}
		}
		return new TokenUsage(input, output, cached, 0, reasoning);
	}

	/** A whole-number member of an object value; 0 when absent or not a number. */
	private static long member(JsonParser parser, JsonToken value, String wanted) {
		return JsonTokens.member(parser, value, wanted, CompletionBody::whole, 0L);
	}

	/** A whole number, 0 (absent) for anything else: see {@link JsonTokens#whole}. */
	private static long whole(JsonParser parser, JsonToken value) {
		Long number = JsonTokens.whole(parser, value);
		return (number != null) ? number : 0;
	}

	/** Skips a value of no use; reads as absent. */
	private static <T> T skipped(JsonParser parser) {
		parser.skipChildren();
		return null;
	}

	/** One element of {@code choices}. */
	private static final class Choice {

		String finishReason;

		final List<String> texts = new ArrayList<>(2);

		/** The choice carried content: the moment the first content went by. */
		boolean content;

		/** Reads a choice whose generated parts are in the member named {@code output}. */
		static Choice read(JsonParser parser, String output) {
			String finishReason = null;
			String legacyText = null;
			boolean hasOutput = false;
			Delta delta = null;
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				if (name.equals(output)) {
					hasOutput = true;
					delta = (value == JsonToken.START_OBJECT) ? Delta.read(parser) : skipped(parser);
				}
				else if (name.equals("finish_reason")) {
					finishReason = string(parser, value);
				}
				else if (name.equals("text")) {
					legacyText = string(parser, value);
				}
				else {
					parser.skipChildren();
				}
			}
			Choice choice = new Choice();
			choice.finishReason = finishReason;
			if (!hasOutput) {
				// Legacy completions carry their text directly on the choice.
				if (legacyText != null && !legacyText.isEmpty()) {
					choice.texts.add(legacyText);
					choice.content = true;
				}
			}
			else if (delta != null) {
				delta.addTo(choice);
			}
			return choice;
		}

	}

	/** A {@code delta} or {@code message} object: its text members and tool calls. */
	private static final class Delta {

		final String[] texts = new String[DELTA_TEXT_FIELDS.size()];

		/** Names and arguments of the tool calls, in order; null without a tool_calls array. */
		List<String> toolTexts;

		/** A tool call had a {@code function} member, whatever its contents. */
		boolean toolCall;

		static Delta read(JsonParser parser) {
			Delta delta = new Delta();
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				int field = DELTA_TEXT_FIELDS.indexOf(name);
				if (field >= 0) {
					delta.texts[field] = string(parser, value);
				}
				else if ("tool_calls".equals(name)) {
					delta.toolTexts = null;
					delta.toolCall = false;
					if (value == JsonToken.START_ARRAY) {
						delta.readToolCalls(parser);
					}
					else {
						parser.skipChildren();
					}
				}
				else {
					parser.skipChildren();
				}
			}
			return delta;
		}

		private void readToolCalls(JsonParser parser) {
			this.toolTexts = new ArrayList<>(2);
			JsonToken element;
			while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
				if (element == JsonToken.START_OBJECT) {
					readToolCall(parser);
				}
				else {
					parser.skipChildren();
				}
			}
		}

		/** Reads one tool call; of a {@code function} given twice the last counts. */
		private void readToolCall(JsonParser parser) {
			boolean hasFunction = false;
			String functionName = null;
			String arguments = null;
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				JsonToken value = parser.nextToken();
				if (!"function".equals(name)) {
					parser.skipChildren();
					continue;
				}
				hasFunction = true;
				functionName = null;
				arguments = null;
				if (value != JsonToken.START_OBJECT) {
					parser.skipChildren();
					continue;
				}
				while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
					String member = parser.currentName();
					JsonToken memberValue = parser.nextToken();
					switch (member) {
						case "name" -> functionName = string(parser, memberValue);
						case "arguments" -> arguments = string(parser, memberValue);
						default -> parser.skipChildren();
					}
				}
			}
			if (hasFunction) {
				this.toolCall = true;
				if (functionName != null) {
					this.toolTexts.add(functionName);
				}
				if (arguments != null) {
					this.toolTexts.add(arguments);
				}
			}
		}

		void addTo(Choice choice) {
			for (String text : this.texts) {
				if (text != null && !text.isEmpty()) {
					choice.texts.add(text);
					choice.content = true;
				}
			}
			if (this.toolTexts != null) {
				choice.texts.addAll(this.toolTexts);
			}
			choice.content |= this.toolCall;
		}

	}

}
