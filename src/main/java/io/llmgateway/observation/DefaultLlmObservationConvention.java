package io.llmgateway.observation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;

import io.llmgateway.observation.LlmObservationDocumentation.HighCardinalityKeyNames;
import io.llmgateway.observation.LlmObservationDocumentation.LowCardinalityKeyNames;

/**
 * Default names and keys of the LLM call observation. The span is named
 * {@code {operation} {model}}, e.g. {@code chat gpt-4o-mini}. Numeric and array attributes are
 * typed and set by {@link LlmTracingObservationHandler}; this convention carries the text ones.
 */
public class DefaultLlmObservationConvention implements LlmObservationConvention {

	/** Name of the observation. */
	public static final String NAME = "gen_ai.client.operation";

	/** Value of a model key when the model is not known. */
	public static final String UNKNOWN = "unknown";

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(LlmObservationContext context) {
		String model = context.request().model();
		return context.operation().value() + " " + ((model != null) ? model : UNKNOWN);
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(LlmObservationContext context) {
		List<KeyValue> values = new ArrayList<>(8 + context.attribution().size());
		values.add(LowCardinalityKeyNames.OPERATION_NAME.withValue(context.operation().value()));
		values.add(LowCardinalityKeyNames.PROVIDER_NAME.withValue(context.providerName()));
		values.add(LowCardinalityKeyNames.REQUEST_MODEL.withValue(orUnknown(context.request().model())));
		values.add(LowCardinalityKeyNames.RESPONSE_MODEL.withValue(orUnknown(context.response().responseModel())));
		values.add(LowCardinalityKeyNames.REQUEST_STREAM.withValue(Boolean.toString(context.request().stream())));
		values.add(LowCardinalityKeyNames.ROUTE.withValue(context.route()));
		String errorType = context.errorType();
		if (errorType != null) {
			values.add(LowCardinalityKeyNames.ERROR_TYPE.withValue(errorType));
		}
		for (Map.Entry<String, String> label : context.attribution().entrySet()) {
			values.add(KeyValue.of(label.getKey(), label.getValue()));
		}
		return KeyValues.of(values);
	}

	@Override
	public KeyValues getHighCardinalityKeyValues(LlmObservationContext context) {
		List<KeyValue> values = new ArrayList<>(4);
		if (context.response().responseId() != null) {
			values.add(HighCardinalityKeyNames.RESPONSE_ID.withValue(context.response().responseId()));
		}
		if (context.serverAddress() != null) {
			values.add(HighCardinalityKeyNames.SERVER_ADDRESS.withValue(context.serverAddress()));
		}
		if (context.usageSource() != null) {
			values.add(HighCardinalityKeyNames.USAGE_SOURCE.withValue(context.usageSource().value()));
		}
		return KeyValues.of(values);
	}

	static String orUnknown(String value) {
		return (value == null || value.isEmpty()) ? UNKNOWN : value;
	}

}
