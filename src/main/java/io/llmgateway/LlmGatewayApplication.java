package io.llmgateway;

import io.llmgateway.config.EventLoopSizing;
import io.llmgateway.config.LeakDetectionDefault;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class LlmGatewayApplication {

	public static void main(String[] args) {
		EventLoopSizing.applyDefault();
		LeakDetectionDefault.applyDefault();
		SpringApplication.run(LlmGatewayApplication.class, args);
	}

}
