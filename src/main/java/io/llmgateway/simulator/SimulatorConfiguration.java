package io.llmgateway.simulator;

import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.usage.TokenEstimator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Serves the OpenAI simulator from the gateway itself when {@code llm-gateway.simulator.enabled}.
 */
@AutoConfiguration(after = io.llmgateway.config.LlmGatewayConfiguration.class)
@ConditionalOnBooleanProperty("llm-gateway.simulator.enabled")
@EnableConfigurationProperties(SimulatorProperties.class)
public class SimulatorConfiguration {

	/** Path of the simulated chat completions endpoint. */
	public static final String CHAT_COMPLETIONS_PATH = "/simulator/openai/v1/chat/completions";

	@Bean
	OpenAiSimulator openAiSimulator(SimulatorProperties properties, TokenEstimator estimator, JsonMapper jsonMapper) {
		return new OpenAiSimulator(properties, estimator, jsonMapper);
	}

	@Bean
	RouterFunction<ServerResponse> simulatorRoutes(OpenAiSimulator simulator) {
		return RouterFunctions.route(RequestPredicates.POST(CHAT_COMPLETIONS_PATH), simulator::chatCompletions);
	}

}
