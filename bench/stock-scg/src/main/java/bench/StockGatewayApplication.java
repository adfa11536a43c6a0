package bench;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Spring Cloud Gateway as it comes: the route is in application.yml, nothing else is configured. */
@SpringBootApplication
public class StockGatewayApplication {

	public static void main(String[] args) {
		SpringApplication.run(StockGatewayApplication.class, args);
	}

}
