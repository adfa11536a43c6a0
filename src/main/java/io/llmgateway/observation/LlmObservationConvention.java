package io.llmgateway.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and keys of the LLM call observation; declare a bean of this type to change them.
 */
public interface LlmObservationConvention extends ObservationConvention<LlmObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof LlmObservationContext;
	}

}
