package io.llmgateway.observation;

import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

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

	/**
	 * The line, written field by field: no tree is built, since this runs once per call on the
	 * event loop. Attribution label names cannot repeat a field's name (the resolver refuses
	 * such names), so every name appears once.
	 */
	String line(LlmObservationContext context) {
		StringWriter text = new StringWriter(1024);
		try (JsonGenerator line = this.json.createGenerator(text)) {
			line.writeStartObject();
			line.writeStringProperty("timestamp", Instant.now().toString());
			TraceContext trace = traceContext(context);
			line.writeStringProperty("trace_id", (trace != null) ? trace.traceId() : null);
			line.writeStringProperty("span_id", (trace != null) ? trace.spanId() : null);
			line.writeStringProperty("route", context.route());
			line.writeStringProperty("method", context.method());
			line.writeStringProperty("path", context.path());
			line.writeNumberProperty("status", context.status());
			line.writeNumberProperty("duration_ms", context.durationNanos() / 1_000_000.0);
			line.writeStringProperty("upstream", context.upstream());
			line.writeNumberProperty("bytes_in", context.bytesIn());
			line.writeNumberProperty("bytes_out", context.bytesOut());
			line.writeStringProperty("user_agent", context.userAgent());
			line.writeStringProperty("gen_ai.provider.name", context.providerName());
			line.writeStringProperty("gen_ai.request.model", context.request().model());
			line.writeStringProperty("gen_ai.response.model", context.response().responseModel());
			line.writeBooleanProperty("stream", context.request().stream());
			TokenUsage usage = context.usage();
			if (usage != null) {
				line.writeNumberProperty("usage.input_tokens", usage.input());
				if (context.isOutputTokensKnown()) {
					line.writeNumberProperty("usage.output_tokens", usage.output());
				}
				else {
					line.writeNullProperty("usage.output_tokens");
				}
				line.writeNumberProperty("usage.cache_read_input_tokens", usage.cacheReadInput());
				line.writeNumberProperty("usage.reasoning_output_tokens", usage.reasoningOutput());
				line.writeStringProperty("usage.source", context.usageSource().value());
			}
			else {
				line.writeNullProperty("usage.input_tokens");
				line.writeNullProperty("usage.output_tokens");
				line.writeNullProperty("usage.cache_read_input_tokens");
				line.writeNullProperty("usage.reasoning_output_tokens");
				line.writeNullProperty("usage.source");
			}
			if (context.cost() != null) {
				line.writeNumberProperty("cost_usd", context.cost().total());
			}
			else {
				line.writeNullProperty("cost_usd");
			}
			long ttfc = context.timeToFirstChunkNanos();
			if (context.isStreamOpened() && ttfc >= 0) {
				line.writeNumberProperty("ttfc_ms", ttfc / 1_000_000.0);
			}
			else {
				line.writeNullProperty("ttfc_ms");
			}
			line.writeStringProperty("error_type", context.errorType());
			for (Map.Entry<String, String> label : context.attribution().entrySet()) {
				line.writeStringProperty(label.getKey(), label.getValue());
			}
			line.writeEndObject();
		}
		return text.toString();
	}

	private static TraceContext traceContext(LlmObservationContext context) {
		TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
		Span span = (tracing != null) ? tracing.getSpan() : null;
		return (span != null) ? span.context() : null;
	}

}
