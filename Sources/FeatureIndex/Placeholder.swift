enum FeatureIndexPlaceholder {}
