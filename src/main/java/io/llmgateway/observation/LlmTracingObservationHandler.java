package io.llmgateway.observation;

import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;

import io.llmgateway.observation.LlmObservationDocumentation.HighCardinalityKeyNames;
import io.llmgateway.observation.LlmObservationDocumentation.LowCardinalityKeyNames;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.tracing.SpanAttributes;
import io.llmgateway.usage.TokenUsage;

/**
 * Makes the CLIENT span of an LLM call, injects its trace context into the upstream request
 * headers, and sets the GenAI attributes with their proper types (numbers as numbers, finish
 * reasons as a string array), which observation key values alone cannot express.
 */
public class LlmTracingObservationHandler extends PropagatingSenderTracingObservationHandler<LlmObservationContext> {

	public LlmTracingObservationHandler(Tracer tracer, Propagator propagator) {
		super(tracer, propagator);
	}

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof LlmObservationContext;
	}

	@Override
	public void tagSpan(LlmObservationContext context, Span span) {
		String stream = LowCardinalityKeyNames.REQUEST_STREAM.asString();
		// The stream flag goes on as a boolean below; OpenTelemetry tells keys apart by type too,
		// so its text form would make a second attribute of the same name.
		SpanAttributes attributes = SpanAttributes.of(span)
			.putAll(context.getLowCardinalityKeyValues(), stream)
			.putAll(context.getHighCardinalityKeyValues());
		LlmRequest request = context.request();
		attributes.put(stream, request.stream());
		if (!context.response().finishReasons().isEmpty()) {
			attributes.put(HighCardinalityKeyNames.FINISH_REASONS.asString(), context.response().finishReasons());
		}
		TokenUsage usage = context.usage();
		if (usage != null) {
			attributes.put(HighCardinalityKeyNames.INPUT_TOKENS.asString(), usage.input());
			if (context.isOutputTokensKnown()) {
				attributes.put(HighCardinalityKeyNames.OUTPUT_TOKENS.asString(), usage.output());
			}
			attributes.put(HighCardinalityKeyNames.CACHE_READ_INPUT_TOKENS.asString(), usage.cacheReadInput());
			attributes.put(HighCardinalityKeyNames.CACHE_CREATION_INPUT_TOKENS.asString(), usage.cacheWriteInput());
			attributes.put(HighCardinalityKeyNames.REASONING_OUTPUT_TOKENS.asString(), usage.reasoningOutput());
		}
		if (request.maxTokens() != null) {
			attributes.put(HighCardinalityKeyNames.REQUEST_MAX_TOKENS.asString(), request.maxTokens());
		}
		if (request.temperature() != null) {
			attributes.put(HighCardinalityKeyNames.REQUEST_TEMPERATURE.asString(), request.temperature());
		}
		if (request.topP() != null) {
			attributes.put(HighCardinalityKeyNames.REQUEST_TOP_P.asString(), request.topP());
		}
		if (request.seed() != null) {
			attributes.put(HighCardinalityKeyNames.REQUEST_SEED.asString(), request.seed());
		}
		if (context.serverPort() > 0) {
			attributes.put(HighCardinalityKeyNames.SERVER_PORT.asString(), (long) context.serverPort());
		}
		long ttfc = context.timeToFirstChunkNanos();
		if (context.isStreamOpened() && ttfc >= 0) {
			attributes.put(HighCardinalityKeyNames.TIME_TO_FIRST_CHUNK.asString(), ttfc / 1e9);
		}
		if (context.cost() != null) {
			attributes.put(HighCardinalityKeyNames.COST_USD.asString(), context.cost().total());
		}
		if (context.errorType() != null) {
			span.error(new LlmCallFailure(context.errorType()));
		}
	}

	/** Marks the span as failed without a stack trace; the error type says what happened. */
	static final class LlmCallFailure extends RuntimeException {

		LlmCallFailure(String errorType) {
			super("LLM call failed: " + errorType, null, false, false);
		}

	}

}
