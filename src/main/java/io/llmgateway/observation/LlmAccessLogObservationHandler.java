package io.llmgateway.observation;

import java.time.Instant;
import java.util.Map;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.llmgateway.usage.TokenUsage;

/**
 * Writes one JSON line per LLM call on the logger {@code llm_gateway.access}. No secrets and no
 * bodies: the fields are those of the telemetry contract.
 */
public class LlmAccessLogObservationHandler implements ObservationHandler<LlmObservationContext> {

	/** Name of the logger the lines go to. */
	public static final String LOGGER_NAME = "llm_gateway.access";

	private static final Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof LlmObservationContext;
	}

	@Override
	public void onStop(LlmObservationContext context) {
		if (logger.isInfoEnabled()) {
			logger.info(line(context));
		}
	}

	/**
	 * The line, written field by field: no tree is built, since this runs once per call on the
	 * event loop. Attribution label names cannot repeat a field's name (the resolver refuses
	 * such names), so every name appears once.
	 */
	String line(LlmObservationContext context) {
		JsonLine line = new JsonLine(1024);
		line.timestamp("timestamp", Instant.now());
		TraceContext trace = traceContext(context);
		line.string("trace_id", (trace != null) ? trace.traceId() : null);
		line.string("span_id", (trace != null) ? trace.spanId() : null);
		line.string("route", context.route());
		line.string("method", context.method());
		line.string("path", context.path());
		line.number("status", context.status());
		line.millis("duration_ms", context.durationNanos());
		line.string("upstream", context.upstream());
		line.number("bytes_in", context.bytesIn());
		line.number("bytes_out", context.bytesOut());
		line.string("user_agent", context.userAgent());
		line.string("gen_ai.provider.name", context.providerName());
		line.string("gen_ai.request.model", context.request().model());
		line.string("gen_ai.response.model", context.response().responseModel());
		line.bool("stream", context.request().stream());
		TokenUsage usage = context.usage();
		if (usage != null) {
			line.number("usage.input_tokens", usage.input());
			if (context.isOutputTokensKnown()) {
				line.number("usage.output_tokens", usage.output());
			}
			else {
				line.nullValue("usage.output_tokens");
			}
			line.number("usage.cache_read_input_tokens", usage.cacheReadInput());
			line.number("usage.reasoning_output_tokens", usage.reasoningOutput());
			line.string("usage.source", context.usageSource().value());
		}
		else {
			line.nullValue("usage.input_tokens");
			line.nullValue("usage.output_tokens");
			line.nullValue("usage.cache_read_input_tokens");
			line.nullValue("usage.reasoning_output_tokens");
			line.nullValue("usage.source");
		}
		if (context.cost() != null) {
			line.number("cost_usd", context.cost().total());
		}
		else {
			line.nullValue("cost_usd");
		}
		long ttfc = context.timeToFirstChunkNanos();
		if (context.isStreamOpened() && ttfc >= 0) {
			line.millis("ttfc_ms", ttfc);
		}
		else {
			line.nullValue("ttfc_ms");
		}
		line.string("error_type", context.errorType());
		for (Map.Entry<String, String> label : context.attribution().entrySet()) {
			line.string(label.getKey(), label.getValue());
		}
		return line.end();
	}

	private static TraceContext traceContext(LlmObservationContext context) {
		TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
		Span span = (tracing != null) ? tracing.getSpan() : null;
		return (span != null) ? span.context() : null;
	}

}
