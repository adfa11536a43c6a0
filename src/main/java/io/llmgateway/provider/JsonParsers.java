package io.llmgateway.provider;

import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parsers for a single pass over tokens, with the mapper's read features and limits. A parser
 * made by the mapper itself carries a new deserialization context, which a token-by-token reader
 * never uses; a stream makes one parser per chunk.
 */
public final class JsonParsers extends ObjectReadContext.Base {

	private final TokenStreamFactory factory;

	private final int streamReadFeatures;

	private final int formatReadFeatures;

	public JsonParsers(JsonMapper json) {
		DeserializationConfig config = json.deserializationConfig();
		this.factory = json.tokenStreamFactory();
		this.streamReadFeatures = config.getStreamReadFeatures();
		this.formatReadFeatures = config.getFormatReadFeatures();
	}

	/** A parser over the first {@code length} bytes of {@code content}. */
	public JsonParser parser(byte[] content, int length) {
		return this.factory.createParser(this, content, 0, length);
	}

	/** A parser over text. */
	public JsonParser parser(String content) {
		return this.factory.createParser(this, content);
	}

	@Override
	public int getStreamReadFeatures(int defaults) {
		return this.streamReadFeatures;
	}

	@Override
	public int getFormatReadFeatures(int defaults) {
		return this.formatReadFeatures;
	}

	@Override
	public StreamReadConstraints streamReadConstraints() {
		return this.factory.streamReadConstraints();
	}

	@Override
	public TokenStreamFactory tokenStreamFactory() {
		return this.factory;
	}

}
