"""What connects a trained model to the tools around it: MLflow tracking (the harness' hooks),
the MLflow pyfunc model (batch scoring on Spark), and vector export (word2vec, Parquet, npy).
Each module imports its tool only when used."""
