package io.llmgateway;

import io.llmgateway.config.EventLoopSizing;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class LlmGatewayApplication {

	public static void main(String[] args) {
		EventLoopSizing.applyDefault();
		SpringApplication.run(LlmGatewayApplication.class, args);
	}

}
