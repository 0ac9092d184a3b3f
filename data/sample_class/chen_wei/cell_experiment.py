if __name__ == "__main__":
    losses, w = neural_network.train(X_train, y_train, n_iter=10000, learning_rate=0.001, batch_size=23,
                                     return_losses=True, return_weights=True)
    print(f"network: test MSE {((neural_network.predict(X_test, w) - y_test) ** 2).mean():.2f}")
    plt.plot(losses)
