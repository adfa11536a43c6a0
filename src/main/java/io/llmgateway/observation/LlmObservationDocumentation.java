package io.llmgateway.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The one observation the gateway makes per LLM call, with the keys of its span. Names follow
 * the OpenTelemetry GenAI semantic conventions; what they do not define is prefixed
 * {@code llm_gateway.}. See {@code shared/spec/telemetry.md}.
 */
public enum LlmObservationDocumentation implements ObservationDocumentation {

	/** One LLM call as seen by the gateway: request received to last response byte sent. */
	LLM_CALL {
		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultLlmObservationConvention.class;
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return LowCardinalityKeyNames.values();
		}

		@Override
		public KeyName[] getHighCardinalityKeyNames() {
			return HighCardinalityKeyNames.values();
		}

		@Override
		public Observation.Event[] getEvents() {
			return Events.values();
		}
	};

	/** Bounded keys. Attribution labels are added under their configured names. */
	public enum LowCardinalityKeyNames implements KeyName {

		/** The GenAI operation: {@code chat}, {@code text_completion}, {@code embeddings}, … */
		OPERATION_NAME {
			@Override
			public String asString() {
				return "gen_ai.operation.name";
			}
		},

		/** The provider, as the semantic conventions name it, or the route's configured name. */
		PROVIDER_NAME {
			@Override
			public String asString() {
				return "gen_ai.provider.name";
			}
		},

		/** The model asked for; {@code unknown} when absent. */
		REQUEST_MODEL {
			@Override
			public String asString() {
				return "gen_ai.request.model";
			}
		},

		/** The model the provider reported; {@code unknown} when absent. */
		RESPONSE_MODEL {
			@Override
			public String asString() {
				return "gen_ai.response.model";
			}
		},

		/** Whether a streamed response was asked for. */
		REQUEST_STREAM {
			@Override
			public String asString() {
				return "gen_ai.request.stream";
			}
		},

		/** The Spring Cloud Gateway route id. */
		ROUTE {
			@Override
			public String asString() {
				return "llm_gateway.route";
			}
		},

		/** Why the call failed; only present on failure. */
		ERROR_TYPE {
			@Override
			public String asString() {
				return "error.type";
			}
		}

	}

	/** Unbounded or numeric keys: span attributes only, never meter tags. */
	public enum HighCardinalityKeyNames implements KeyName {

		/** The provider's id of the response. */
		RESPONSE_ID {
			@Override
			public String asString() {
				return "gen_ai.response.id";
			}
		},

		/** Finish reasons of the choices, as a string array. */
		FINISH_REASONS {
			@Override
			public String asString() {
				return "gen_ai.response.finish_reasons";
			}
		},

		/** Every input token, cached or not. */
		INPUT_TOKENS {
			@Override
			public String asString() {
				return "gen_ai.usage.input_tokens";
			}
		},

		/** Every output token, reasoning included. */
		OUTPUT_TOKENS {
			@Override
			public String asString() {
				return "gen_ai.usage.output_tokens";
			}
		},

		/** Input tokens read from the prompt cache (part of the input tokens). */
		CACHE_READ_INPUT_TOKENS {
			@Override
			public String asString() {
				return "gen_ai.usage.cache_read.input_tokens";
			}
		},

		/** Input tokens written to the prompt cache (part of the input tokens). */
		CACHE_CREATION_INPUT_TOKENS {
			@Override
			public String asString() {
				return "gen_ai.usage.cache_creation.input_tokens";
			}
		},

		/** Output tokens spent on reasoning (part of the output tokens). */
		REASONING_OUTPUT_TOKENS {
			@Override
			public String asString() {
				return "gen_ai.usage.reasoning.output_tokens";
			}
		},

		/** {@code max_tokens} of the request, when present. */
		REQUEST_MAX_TOKENS {
			@Override
			public String asString() {
				return "gen_ai.request.max_tokens";
			}
		},

		/** Temperature of the request, when present. */
		REQUEST_TEMPERATURE {
			@Override
			public String asString() {
				return "gen_ai.request.temperature";
			}
		},

		/** {@code top_p} of the request, when present. */
		REQUEST_TOP_P {
			@Override
			public String asString() {
				return "gen_ai.request.top_p";
			}
		},

		/** Seed of the request, when present. */
		REQUEST_SEED {
			@Override
			public String asString() {
				return "gen_ai.request.seed";
			}
		},

		/** Host of the upstream provider. */
		SERVER_ADDRESS {
			@Override
			public String asString() {
				return "server.address";
			}
		},

		/** Port of the upstream provider. */
		SERVER_PORT {
			@Override
			public String asString() {
				return "server.port";
			}
		},

		/** Seconds from the request to the first content chunk sent (streaming only). */
		TIME_TO_FIRST_CHUNK {
			@Override
			public String asString() {
				return "gen_ai.response.time_to_first_chunk";
			}
		},

		/** Where the token counts come from: {@code provider} or {@code estimated}. */
		USAGE_SOURCE {
			@Override
			public String asString() {
				return "llm_gateway.usage.source";
			}
		},

		/** Cost of the call in US dollars, when the model has a price. */
		COST_USD {
			@Override
			public String asString() {
				return "llm_gateway.cost.usd";
			}
		}

	}

	/** Moments within a call. */
	public enum Events implements Observation.Event {

		/** The response turned out to be a stream and its headers went to the client. */
		STREAM_OPENED {
			@Override
			public String getName() {
				return "gen_ai.stream.opened";
			}
		}

	}

}
