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
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import io.llmgateway.usage.TokenUsage;

/**
 * Writes one JSON line per LLM call on the logger {@code llm_gateway.access}. No secrets and no
 * bodies: the fields are those of the telemetry contract.
 */
public class LlmAccessLogObservationHandler implements ObservationHandler<LlmObservationContext> {

	/** Name of the logger the lines go to. */
	public static final String LOGGER_NAME = "llm_gateway.access";

	private static final Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

	private final JsonMapper json;

	public LlmAccessLogObservationHandler(JsonMapper json) {
		this.json = json;
	}

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

	String line(LlmObservationContext context) {
		ObjectNode line = this.json.createObjectNode();
		line.put("timestamp", Instant.now().toString());
		TraceContext trace = traceContext(context);
		line.put("trace_id", (trace != null) ? trace.traceId() : null);
		line.put("span_id", (trace != null) ? trace.spanId() : null);
		line.put("route", context.route());
		line.put("method", context.method());
		line.put("path", context.path());
		line.put("status", context.status());
		line.put("duration_ms", context.durationNanos() / 1_000_000.0);
		line.put("upstream", context.upstream());
		line.put("bytes_in", context.bytesIn());
		line.put("bytes_out", context.bytesOut());
		line.put("user_agent", context.userAgent());
		line.put("gen_ai.provider.name", context.providerName());
		line.put("gen_ai.request.model", context.request().model());
		line.put("gen_ai.response.model", context.response().responseModel());
		line.put("stream", context.request().stream());
		TokenUsage usage = context.usage();
		if (usage != null) {
			line.put("usage.input_tokens", usage.input());
			if (context.isOutputTokensKnown()) {
				line.put("usage.output_tokens", usage.output());
			}
			else {
				line.putNull("usage.output_tokens");
			}
			line.put("usage.cache_read_input_tokens", usage.cacheReadInput());
			line.put("usage.reasoning_output_tokens", usage.reasoningOutput());
			line.put("usage.source", context.usageSource().value());
		}
		else {
			line.putNull("usage.input_tokens");
			line.putNull("usage.output_tokens");
			line.putNull("usage.cache_read_input_tokens");
			line.putNull("usage.reasoning_output_tokens");
			line.putNull("usage.source");
		}
		if (context.cost() != null) {
			line.put("cost_usd", context.cost().total());
		}
		else {
			line.putNull("cost_usd");
		}
		long ttfc = context.timeToFirstChunkNanos();
		if (context.isStreamOpened() && ttfc >= 0) {
			line.put("ttfc_ms", ttfc / 1_000_000.0);
		}
		else {
			line.putNull("ttfc_ms");
		}
		line.put("error_type", context.errorType());
		for (Map.Entry<String, String> label : context.attribution().entrySet()) {
			line.put(label.getKey(), label.getValue());
		}
		return this.json.writeValueAsString(line);
	}

	private static TraceContext traceContext(LlmObservationContext context) {
		TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
		Span span = (tracing != null) ? tracing.getSpan() : null;
		return (span != null) ? span.context() : null;
	}

}
