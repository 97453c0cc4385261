"""The oda-api dispatcher protocol: MMODA sites answer the existing oda-api client."""
