"""What the scoring service uses from outside its own code beyond storage and Kafka: rendering documents."""
