package io.llmgateway.observation;

import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;

import io.llmgateway.observation.LlmObservationDocumentation.HighCardinalityKeyNames;
import io.llmgateway.observation.LlmObservationDocumentation.LowCardinalityKeyNames;
import io.llmgateway.provider.LlmRequest;
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
		super.tagSpan(context, span);
		LlmRequest request = context.request();
		span.tag(LowCardinalityKeyNames.REQUEST_STREAM.asString(), request.stream());
		if (!context.response().finishReasons().isEmpty()) {
			span.tagOfStrings(HighCardinalityKeyNames.FINISH_REASONS.asString(), context.response().finishReasons());
		}
		TokenUsage usage = context.usage();
		if (usage != null) {
			span.tag(HighCardinalityKeyNames.INPUT_TOKENS.asString(), usage.input());
			if (context.isOutputTokensKnown()) {
				span.tag(HighCardinalityKeyNames.OUTPUT_TOKENS.asString(), usage.output());
			}
			span.tag(HighCardinalityKeyNames.CACHE_READ_INPUT_TOKENS.asString(), usage.cacheReadInput());
			span.tag(HighCardinalityKeyNames.CACHE_CREATION_INPUT_TOKENS.asString(), usage.cacheWriteInput());
			span.tag(HighCardinalityKeyNames.REASONING_OUTPUT_TOKENS.asString(), usage.reasoningOutput());
		}
		if (request.maxTokens() != null) {
			span.tag(HighCardinalityKeyNames.REQUEST_MAX_TOKENS.asString(), request.maxTokens());
		}
		if (request.temperature() != null) {
			span.tag(HighCardinalityKeyNames.REQUEST_TEMPERATURE.asString(), request.temperature());
		}
		if (request.topP() != null) {
			span.tag(HighCardinalityKeyNames.REQUEST_TOP_P.asString(), request.topP());
		}
		if (request.seed() != null) {
			span.tag(HighCardinalityKeyNames.REQUEST_SEED.asString(), request.seed());
		}
		if (context.serverPort() > 0) {
			span.tag(HighCardinalityKeyNames.SERVER_PORT.asString(), (long) context.serverPort());
		}
		long ttfc = context.timeToFirstChunkNanos();
		if (context.isStreamOpened() && ttfc >= 0) {
			span.tag(HighCardinalityKeyNames.TIME_TO_FIRST_CHUNK.asString(), ttfc / 1e9);
		}
		if (context.cost() != null) {
			span.tag(HighCardinalityKeyNames.COST_USD.asString(), context.cost().total());
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
