package io.llmgateway.tracing;

import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Micrometer's handler for the spans of received requests (the gateway's server span), with the
 * span's attributes set through {@link SpanAttributes}: the same names and values, without a new
 * attribute key per tag and call.
 */
public class ServerSpanTracingObservationHandler
		extends PropagatingReceiverTracingObservationHandler<ReceiverContext<?>> {

	public ServerSpanTracingObservationHandler(Tracer tracer, Propagator propagator) {
		super(tracer, propagator);
	}

	@Override
	public void tagSpan(ReceiverContext<?> context, Span span) {
		// Low, then high cardinality: a key in both ends with the high one, as in Micrometer.
		SpanAttributes.of(span)
			.putAll(context.getLowCardinalityKeyValues())
			.putAll(context.getHighCardinalityKeyValues());
	}

}
