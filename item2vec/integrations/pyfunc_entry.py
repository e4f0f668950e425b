"""What MLflow runs to rebuild the logged model ("models from code"), instead of unpickling it."""

import mlflow

from item2vec.integrations.pyfunc import SessionRecommender

mlflow.models.set_model(SessionRecommender())
