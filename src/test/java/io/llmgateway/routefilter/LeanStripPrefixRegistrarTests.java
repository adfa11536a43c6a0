package io.llmgateway.routefilter;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.cloud.gateway.filter.factory.StripPrefixGatewayFilterFactory;

import static org.assertj.core.api.Assertions.assertThat;

class LeanStripPrefixRegistrarTests {

	@Test
	void takesThePlaceOfSpringCloudGatewaysStripPrefix() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		beans.registerBeanDefinition("stripPrefixGatewayFilterFactory",
				new RootBeanDefinition(StripPrefixGatewayFilterFactory.class));

		new LeanStripPrefixRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).containsExactly("stripPrefixGatewayFilterFactory");
		assertThat(beans.getBean("stripPrefixGatewayFilterFactory")).isInstanceOf(LeanStripPrefixGatewayFilterFactory.class);
	}

	@Test
	void registersNothingWhenTheFilterIsSwitchedOff() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();

		new LeanStripPrefixRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).isEmpty();
	}

}
